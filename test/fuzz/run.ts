/**
 * `npm run fuzz [-- --minutes 10]`: fuzzes a fresh local runtime with random seeds until the
 * time is up, then checks that the instances stored before the run are served byte-identical.
 * Prints each round's seed, so a failure can be replayed with `--seed N`.
 */
import { parseArgs } from 'node:util';
import { s3For } from '#test/helpers/aws.ts';
import { multipartBodies, sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';
import { fuzzArchive, MAX_REQUEST_MS } from './archive-fuzz.ts';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '1' }, seed: { type: 'string' }, runs: { type: 'string', default: '200' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log('usage: npm run fuzz [-- --minutes 10] [--seed N] [--runs 200 per round]');
  process.exit(0);
}
const deadline = Date.now() + Number(values.minutes) * 60_000;
const STUDY = '2.25.616161';
const files = [1, 2, 3].map((i) => synthesize('CT_small.dcm', { study: STUDY, series: `${STUDY}.1`, sop: `${STUDY}.1.${i}` }));

const runtime = await startTestRuntime();
let failed = false;
try {
  if ((await stow(runtime.url, files)).status !== 200) throw new Error('could not store the reference instances');
  const totals = { requests: 0, statuses: {} as Record<string, number>, slowestMs: 0, rounds: 0 };
  do {
    const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
    try {
      const stats = await fuzzArchive({ url: runtime.url, s3: s3For(runtime), bucket: runtime.names.bucket('archive') }, { seed, numRuns: Number(values.runs) });
      totals.rounds++;
      totals.requests += stats.requests;
      totals.slowestMs = Math.max(totals.slowestMs, stats.slowestMs);
      for (const [status, count] of Object.entries(stats.statuses)) totals.statuses[status] = (totals.statuses[status] ?? 0) + count;
      console.log(`round ${totals.rounds} seed ${seed}: ${stats.requests} requests, slowest ${Math.round(stats.slowestMs)} ms`);
    } catch (error) {
      failed = true;
      console.error(`seed ${seed} FAILED (replay with --seed ${seed}):\n${(error as Error).message}`);
      break;
    }
  } while (Date.now() < deadline && values.seed === undefined);

  const response = await fetch(`${runtime.url}/dicom-web/studies/${STUDY}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
  const served = multipartBodies(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!).map((part) => sha256(part.body)).sort();
  const intact = JSON.stringify(served) === JSON.stringify(files.map(sha256).sort());
  if (!intact) failed = true;
  const memory = process.memoryUsage();
  console.log(
    `\n${totals.rounds} rounds, ${totals.requests} requests; statuses ${JSON.stringify(totals.statuses)}; slowest ${Math.round(totals.slowestMs)} ms (limit ${MAX_REQUEST_MS}); ` +
      `reference instances ${intact ? 'byte-identical' : 'CHANGED'}; rss ${Math.round(memory.rss / 2 ** 20)} MB`,
  );
} finally {
  await runtime.dispose();
}
process.exit(failed ? 1 : 0);
