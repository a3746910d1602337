/**
 * `npm run bench:push [-- --files 400 --kb 512 --large 4 --large-mb 32 --concurrency 4]`: the push
 * engine (scripts/clients/push) against a local runtime in this process: synthetic files written to a
 * temporary folder, then pushed — small ones through the API, large ones through the data plane —
 * and pushed again (every file already present: the resume check alone). Prints instances/s and
 * MB/s for each phase. Client and archive share this machine's cores.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { pushFiles } from '#clients/push/engine.ts';
import { scan } from '#clients/push/scan.ts';
import { startLocalRuntime } from '#infra/local/runtime.ts';
import { largeInstance } from '#test/helpers/large-instances.ts';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '400' },
    kb: { type: 'string', default: '512' },
    large: { type: 'string', default: '4' },
    'large-mb': { type: 'string', default: '32' },
    concurrency: { type: 'string', default: '4' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log('usage: npm run bench:push [-- --files N --kb K --large N --large-mb M --concurrency C]');
  process.exit(0);
}
const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-push-'));
const folder = mkdtempSync(join(tmpdir(), 'strata-bench-push-files-'));
const runtime = await startLocalRuntime({ port: 0, dataDir, log: () => {} });
try {
  const token = await runtime.identity.issue({ tenant: 'bench', scopes: ['dicom.read', 'dicom.write'], ttlSeconds: 3600 });
  const study = `2.25.${Date.now()}`;
  const write = async (name: string, index: number, bytes: number, series: string) => {
    const instance = largeInstance(study, series, index, bytes);
    await pipeline(Readable.from(instance.chunks()), createWriteStream(join(folder, name)));
  };
  for (let i = 0; i < Number(values.files); i++) await write(`small-${i}.dcm`, i, Number(values.kb) * 1024, `${study}.1`);
  for (let i = 0; i < Number(values.large); i++) await write(`large-${i}.dcm`, i, Number(values['large-mb']) * 1024 * 1024, `${study}.2`);

  const options = { url: `${runtime.url}/dicom-web`, dataUrl: `${runtime.dataPlaneUrl}/dicom-web`, token, concurrency: Number(values.concurrency) };
  const phase = async (label: string, paths: string[]) => {
    const scanned = await scan(paths);
    const started = performance.now();
    const tally = await pushFiles(scanned, options);
    const seconds = (performance.now() - started) / 1000;
    const mb = tally.doneBytes / 1e6;
    console.log(
      `${label.padEnd(34)} ${String(tally.doneFiles).padStart(5)} files ${mb.toFixed(1).padStart(8)} MB ${seconds.toFixed(1).padStart(6)} s ` +
        `${(tally.doneFiles / seconds).toFixed(1).padStart(7)} inst/s ${(mb / seconds).toFixed(1).padStart(6)} MB/s  ` +
        `(stored ${tally.stored}, present ${tally.present}, refused ${tally.refusedCount}, not sent ${tally.notSentCount})`,
    );
  };
  const small = Array.from({ length: Number(values.files) }, (_, i) => join(folder, `small-${i}.dcm`));
  const large = Array.from({ length: Number(values.large) }, (_, i) => join(folder, `large-${i}.dcm`));
  console.log(`push engine against the local runtime (concurrency ${values.concurrency}; client and archive in one process)`);
  if (small.length) await phase(`API, ${values.kb} KB files`, small);
  if (large.length) await phase(`data plane, ${values['large-mb']} MB files`, large);
  await phase('resume: everything already present', [folder]);
} finally {
  await runtime.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(folder, { recursive: true, force: true });
}
