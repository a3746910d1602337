/**
 * `npm run bench:edge [-- --files 200 --kb 512]`: DCMTK's storescu sends synthetic CT instances to
 * the edge gateway, which spools and forwards them to a local runtime (both in this process).
 * Prints instances/s and MB/s for the C-STORE leg (spooled and acknowledged) and end to end
 * (stored in the archive). Needs storescu (Debian package dcmtk).
 */
import { execFile } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { startEdge } from '#clients/edge/cli.ts';
import { startLocalRuntime } from '#infra/local/runtime.ts';
import { largeInstance } from '#test/helpers/large-instances.ts';

const { values } = parseArgs({ options: { files: { type: 'string', default: '200' }, kb: { type: 'string', default: '512' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log('usage: npm run bench:edge [-- --files N --kb K]');
  process.exit(0);
}
const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-edge-'));
const folder = mkdtempSync(join(tmpdir(), 'strata-bench-edge-files-'));
const spool = mkdtempSync(join(tmpdir(), 'strata-bench-edge-spool-'));
const runtime = await startLocalRuntime({ port: 0, dataDir, log: () => {} });
const count = Number(values.files);
try {
  const token = await runtime.identity.issue({ tenant: 'bench', scopes: ['dicom.read', 'dicom.write'], ttlSeconds: 3600 });
  const study = `2.25.${Date.now()}`;
  let bytes = 0;
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const instance = largeInstance(study, `${study}.1`, i, Number(values.kb) * 1024);
    paths.push(join(folder, `${i}.dcm`));
    bytes += instance.size;
    await pipeline(Readable.from(instance.chunks()), createWriteStream(paths[i]!));
  }
  const port = 20000 + Math.floor(Math.random() * 30000);
  const edge = await startEdge({ aet: 'STRATA', port, url: `${runtime.url}/dicom-web`, dataUrl: `${runtime.dataPlaneUrl}/dicom-web`, token, spool, statusPort: 0, concurrency: 4, log: () => {}, pauseMs: 200 });
  const started = performance.now();
  await promisify(execFile)('storescu', ['-aec', 'STRATA', '-R', '127.0.0.1', String(port), ...paths], { maxBuffer: 1 << 24 });
  const acknowledged = (performance.now() - started) / 1000;
  while (edge.forwarder.status.forwarded + edge.forwarder.status.alreadyPresent < count) await new Promise((r) => setTimeout(r, 100));
  const total = (performance.now() - started) / 1000;
  await edge.stop();
  const mb = bytes / 1e6;
  console.log(`edge gateway: ${count} instances of ${values.kb} KB (${mb.toFixed(1)} MB), storescu → spool → push engine → local runtime (one process, plus storescu)`);
  console.log(`C-STORE leg (spooled, acknowledged): ${acknowledged.toFixed(1)} s  ${(count / acknowledged).toFixed(1)} inst/s  ${(mb / acknowledged).toFixed(1)} MB/s`);
  console.log(`end to end (stored in the archive):  ${total.toFixed(1)} s  ${(count / total).toFixed(1)} inst/s  ${(mb / total).toFixed(1)} MB/s  (refused ${edge.forwarder.status.refused})`);
} finally {
  await runtime.stop();
  for (const dir of [dataDir, folder, spool]) rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
