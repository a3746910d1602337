/**
 * `npm run bench:export [-- --studies 10 --per-study 20 --cold 3]`: a discovery export against a
 * local runtime in this process. A patient's studies of ~197 KB synthetic instances are stored and
 * held, `--cold` of them moved to DEEP_ARCHIVE; the export is started, the clock moved past the
 * restore when it waits, and the figures printed: wall time, instances/s and MB/s of the copy
 * rounds (the simulated restore wait excluded), rounds, and KMS calls (KMS bills per request).
 * Client and archive share this machine's cores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalRuntime } from '#infra/local/runtime.ts';
import { instanceObjectKey } from '#core/index-keys.ts';
import { sha256, stowBody } from '#test/helpers/dicom.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const { values } = parseArgs({
  options: {
    studies: { type: 'string', default: '10' },
    'per-study': { type: 'string', default: '20' },
    cold: { type: 'string', default: '3' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log('usage: npm run bench:export [-- --studies S --per-study N --cold C]');
  process.exit(0);
}
const studies = Number(values.studies);
const perStudy = Number(values['per-study']);
const coldStudies = Math.min(Number(values.cold), studies);
const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-export-'));
const runtime = await startLocalRuntime({ port: 0, dataDir, log: () => {}, retryIntervalMs: 0 });
try {
  const TENANT = 'bench';
  const user = `Bearer ${await runtime.identity.issue({ tenant: TENANT, scopes: ['dicom.write', 'dicom.read', 'legal.hold'], ttlSeconds: 7200 })}`;
  const admin = `Bearer ${await runtime.identity.issue({ tenant: undefined, scopes: ['admin'], ttlSeconds: 7200 })}`;
  const call = async (method: string, path: string, body?: unknown, authorization = user) => {
    const response = await fetch(`${runtime.url}${path}`, { method, headers: { authorization, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const patientId = 'BENCH-EXPORT-1';
  let bytes = 0;
  const coldKeys: string[] = [];
  for (let s = 0; s < studies; s++) {
    const study = `1.2.826.0.1.3680043.10.1415.${Date.now()}.${s}`;
    const files = Array.from({ length: perStudy }, (_, i) => synthesize('SC_rgb_jpeg_dcmd.dcm', { study, series: `${study}.1`, sop: `${study}.1.${i + 1}`, instanceNumber: i + 1, patientId, modality: 'CT' }));
    for (let i = 0; i < files.length; i += 10) {
      const { body, contentType } = stowBody(files.slice(i, i + 10));
      const stored = await fetch(`${runtime.url}/dicom-web/studies`, { method: 'POST', body, headers: { authorization: user, 'content-type': contentType, accept: 'application/dicom+json' } });
      if (stored.status !== 200) throw new Error(`STOW: ${stored.status}`);
    }
    bytes += files.reduce((sum, f) => sum + f.length, 0);
    if (s < coldStudies) files.forEach((f, i) => coldKeys.push(instanceObjectKey({ tenant: TENANT, study, series: `${study}.1`, sop: `${study}.1.${i + 1}` }, sha256(f))));
  }
  for (const key of coldKeys) await call('POST', '/_local/s3/transition', { bucket: 'archive', key, storageClass: 'DEEP_ARCHIVE' }, admin);
  const hold = await call('POST', '/holds', { matter: 'bench', reason: 'bench', scope: { patient: { id: patientId } } });

  const started = performance.now();
  const exported = await call('POST', '/exports', { hold: hold.id });
  let waitedMs = 0;
  let view: Record<string, unknown> = exported;
  for (let polls = 0; view.status !== 'COMPLETED'; polls++) {
    if (view.status === 'FAILED') throw new Error(`export failed: ${JSON.stringify(view)}`);
    if (view.status === 'WAITING_FOR_RESTORE') {
      // The simulated restore: its wall time is not the export's, so it is measured apart and left out.
      const waitStarted = performance.now();
      await call('POST', '/_local/clock', { advance: waitedMs === 0 ? '+13h' : '+1h' }, admin);
      await runtime.events.idle();
      while (((await call('GET', `/exports/${String(exported.id)}`)).status as string) === 'WAITING_FOR_RESTORE' && performance.now() - waitStarted < 2000) await new Promise((r) => setTimeout(r, 20));
      waitedMs += performance.now() - waitStarted;
    }
    await new Promise((r) => setTimeout(r, 20));
    view = await call('GET', `/exports/${String(exported.id)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const copySeconds = seconds - waitedMs / 1000;
  const progress = view.progress as { copied: number; bytesCopied: number; rounds: number; mismatches: number };
  const instances = studies * perStudy;
  console.log(`discovery export against the local runtime (${studies} studies × ${perStudy} instances, ${coldStudies} studies in DEEP_ARCHIVE; client and archive in one process)`);
  console.log(`stored          ${instances} instances, ${(bytes / 1e6).toFixed(1)} MB`);
  console.log(`export          ${progress.copied} copied, ${(progress.bytesCopied / 1e6).toFixed(1)} MB, ${progress.mismatches} mismatches, ${progress.rounds} rounds`);
  console.log(`wall time       ${seconds.toFixed(1)} s (of which the simulated restore wait ${(waitedMs / 1000).toFixed(1)} s)`);
  console.log(`copy rate       ${(progress.copied / copySeconds).toFixed(1)} inst/s, ${(progress.bytesCopied / 1e6 / copySeconds).toFixed(1)} MB/s (wait excluded)`);
  console.log(`KMS calls       ${Object.entries(runtime.kms.calls).map(([op, n]) => `${op} ${n}`).join(', ') || 'none'} for one export`);
} finally {
  await runtime.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
