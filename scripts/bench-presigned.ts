/**
 * `npm run bench:presigned [-- --gb 2 --part-concurrency 4]`: the presigned path against a local
 * runtime in this process (docs/ingest.md, "Presigned uploads"):
 *
 * 1. push: a synthetic multi-frame instance of --gb GB written to a temporary folder, then pushed
 *    by the push engine through a presigned upload (POST /dicom-web/uploads, parts PUT straight to
 *    the local S3, completion, indexed on S3's event); prints MB/s end to end (stored and indexed).
 * 2. indexer: the same bytes staged again (a server-side copy into the uploads prefix) and indexed
 *    by the presigned-upload indexer in a child process of its own, as Lambda would run it: prints
 *    its ranged reads (requests, bytes), its peak RSS, and how long it took, the copy into the
 *    archive layout included.
 * Client, archive and indexer share this machine's cores; the figures are for comparison, not SLAs.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs, promisify } from 'node:util';
import { CopyObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { instanceObjectKey, UPLOADS_PREFIX } from '#core/index-keys.ts';
import { pushFiles } from '#clients/push/engine.ts';
import { scan } from '#clients/push/scan.ts';
import { startLocalRuntime } from '#infra/local/runtime.ts';
import { largeInstance } from '#test/helpers/large-instances.ts';

const { values } = parseArgs({
  options: { gb: { type: 'string', default: '2' }, 'part-concurrency': { type: 'string', default: '4' }, help: { type: 'boolean' } },
});
if (values.help) {
  console.log('usage: npm run bench:presigned [-- --gb 2 --part-concurrency 4]');
  process.exit(0);
}
const MB = 1024 * 1024;
const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-presigned-'));
const folder = mkdtempSync(join(tmpdir(), 'strata-bench-presigned-files-'));
const runtime = await startLocalRuntime({ port: 0, dataDir, log: () => {} });
try {
  const tenant = 'bench';
  const token = await runtime.identity.issue({ tenant, scopes: ['dicom.read', 'dicom.write'], ttlSeconds: 6 * 3600 });
  const study = `2.25.${Date.now()}`;
  const instance = largeInstance(study, `${study}.1`, 0, Number(values.gb) * 1024 * MB);
  const path = join(folder, 'large.dcm');
  await pipeline(Readable.from(instance.chunks()), createWriteStream(path));
  const sha256 = instance.sha256();
  console.log(`synthetic instance: ${(instance.size / MB).toFixed(0)} MiB, ${sha256.slice(0, 12)}…`);

  // 1. The push engine through the presigned route (everything over 0 bytes goes presigned).
  const started = performance.now();
  const tally = await pushFiles(await scan([path]), {
    url: `${runtime.url}/dicom-web`,
    token,
    presignedOver: 0,
    partConcurrency: Number(values['part-concurrency']),
    log: (line) => console.log(`  ${line}`),
  });
  const seconds = (performance.now() - started) / 1000;
  if (tally.stored !== 1) throw new Error(`the push did not store the instance: ${JSON.stringify(tally)}`);
  console.log(`push (presigned, ${values['part-concurrency']} parts in flight): ${seconds.toFixed(1)} s, ${(instance.size / MB / seconds).toFixed(1)} MiB/s (upload, completion, indexing)`);

  // 2. The indexer alone, in a child process: the stored bytes staged again under an upload key.
  const s3 = new S3Client({ endpoint: runtime.s3.endpoint, region: 'us-east-1', forcePathStyle: true });
  const bucket = runtime.names.bucket('archive');
  const stored = instanceObjectKey({ tenant, study, series: `${study}.1`, sop: instance.sop }, sha256);
  const staged = `${UPLOADS_PREFIX}${tenant}/${randomUUID()}/1.dcm`; // no upload names it: the runtime's own indexer leaves it
  await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: staged, CopySource: `${bucket}/${stored}` }));
  await runtime.events.idle();
  const { stdout } = await promisify(execFile)(join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx'), [join(import.meta.dirname, 'bench-presigned-indexer.ts'), staged, sha256, String(instance.size)], {
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    maxBuffer: 1 << 20,
  });
  const measured = JSON.parse(stdout.trim().split('\n').pop()!) as {
    status: number; requests: number; bytes: number; hashRequests: number; hashedBytes: number; hashSeconds: number; rssBeforeMb: number; peakRssMb: number; seconds: number;
  };
  console.log(
    `indexer (child process): status ${measured.status}; ${measured.requests} ranged read(s), ${measured.bytes} bytes of ${instance.size} ` +
      `(${((measured.bytes / instance.size) * 100).toFixed(4)} %) parsed; hash pass ${measured.hashRequests} ranged read(s), ${measured.hashedBytes} bytes ` +
      `(alone: ${measured.hashSeconds.toFixed(1)} s, ${(instance.size / MB / measured.hashSeconds).toFixed(1)} MiB/s); RSS ${measured.rssBeforeMb} MB at start, peak ${measured.peakRssMb} MB; ${measured.seconds.toFixed(1)} s with the hash and the copy into the archive layout`,
  );
} finally {
  await runtime.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(folder, { recursive: true, force: true });
}
