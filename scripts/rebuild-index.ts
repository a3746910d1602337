/**
 * `npm run rebuild-index -- [--bucket NAME --table NAME [--region R]] [--local] [--state FILE] [--concurrency N]`:
 * rebuilds the DynamoDB index from the archive bucket alone (docs/dr.md), after losing the
 * table or when promoting the DR replica. Resumable (the state file is saved after every page),
 * with a progress bar; prints what it could not index and why, and exits 1 if anything. With
 * --concurrency N, N workers rebuild key ranges cut between studies at once.
 */
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run rebuild-index -- --bucket NAME --table NAME [--region REGION] [--state FILE] [--page N] [--concurrency N]
       npm run rebuild-index -- --local [--state FILE] [--concurrency N]
Rebuilds the index table from the archive bucket's objects (their strata-* metadata and metadata
documents); the table must exist (empty, or partly rebuilt). AWS credentials come from the usual
chain. --local rebuilds the local archive in STRATA_DATA_DIR (default .strata); stop npm start first.
--state (default .strata-rebuild.json) is saved after every page: run the same command again to resume
(a resumed run keeps the ranges it started with). --concurrency (default 1): workers, each on a range of
keys cut between studies with about equal versions.
Workflow references are not rebuilt (they are derived): workflows in flight when the index was lost fail
at their next task; start them again (docs/dr.md).`);
  process.exit(0);
}
const stateFile = resolve(option('state') ?? '.strata-rebuild.json');
const pageSize = Number(option('page') ?? 500);
const concurrency = Number(option('concurrency') ?? 1);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`--concurrency must be a whole number ≥ 1, not ${option('concurrency')}`);
  process.exit(2);
}
let stop = async () => {};
let now = () => new Date();
if (args.includes('--local')) {
  // The local archive: its own runtime on its data directory (emulators on free ports), this process only.
  const { startLocalRuntime } = await import('#infra/local/runtime.ts');
  const runtime = await startLocalRuntime({ dataDir: process.env.STRATA_DATA_DIR ?? '.strata', port: 0, log: () => {} });
  stop = runtime.stop;
  now = () => runtime.clock.now();
} else {
  const bucket = option('bucket');
  const table = option('table');
  if (!bucket || !table) {
    console.error('--bucket and --table are required (or --local); --help explains');
    process.exit(2);
  }
  Object.assign(process.env, { BUCKET_ARCHIVE: bucket, TABLE_INDEX: table, ...(option('region') ? { AWS_REGION: option('region') } : {}) });
}
// Imported once the configuration is in place (lambdas/config.ts reads it).
const { runRebuild, summary } = await import('./dr/rebuild-runner.ts');
try {
  const run = await runRebuild({ stateFile, pageSize, concurrency, now, out: process.stderr });
  console.log(summary(run));
  process.exitCode = run.state.unindexed.length || run.ledgers.unapplied.length ? 1 : 0;
} finally {
  await stop();
}
