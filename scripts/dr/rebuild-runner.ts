/**
 * Runs the index rebuild (lambdas/services/dr/rebuild-index.ts) page after page, with a progress
 * bar and a state file saved after every page: killed, it resumes where it stopped. With
 * `concurrency` N, the bucket's keys are cut between studies into N ranges of about equal
 * versions (core/dr/rebuild-ranges.ts, from the counting pass) and N workers rebuild them at
 * once, each saving its own cursor in the state file. The caller has pointed the SDK and the
 * services' configuration (BUCKET_ARCHIVE, TABLE_INDEX) at the bucket and table
 * (scripts/rebuild-index.ts, scripts/bench-rebuild.ts).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { instanceIdentityFromKey } from '#core/index-keys.ts';
import { rebuildRanges, type KeyRange, type StudyExtent } from '#core/dr/rebuild-ranges.ts';
import { listArchivePage } from '#adapters/archive-listing.ts';
import { emptyRebuildState, rebuildIndexPage, type RebuildState } from '#services/dr/rebuild-index.ts';
import { restoreFromLedgers, type LedgerRestore } from '#services/dr/restore-ledgers.ts';

export interface RebuildRun {
  state: RebuildState;
  seconds: number;
  /** Instance versions in the bucket when the run began (the progress bar's whole). */
  total: number;
  /** Workers that ran (the ranges of the state file). */
  workers: number;
  /** Holds and dispositions put back from the bucket's records once every instance is indexed. */
  ledgers: LedgerRestore;
  /** Of `seconds`, the time spent putting them back. */
  ledgerSeconds: number;
}

/** The state file: each worker's range and its state. */
interface SavedRun {
  ranges: { range: KeyRange; state: RebuildState }[];
}

export async function runRebuild(options: { stateFile?: string | undefined; pageSize?: number; concurrency?: number; now: () => Date; out: NodeJS.WriteStream }): Promise<RebuildRun> {
  const { stateFile, out } = options;
  const { total, studies } = await countInstanceVersions();
  const saved = stateFile && existsSync(stateFile) ? savedRun(JSON.parse(readFileSync(stateFile, 'utf8')) as SavedRun | RebuildState) : undefined;
  const resuming = saved && saved.ranges.some(({ state }) => !state.done);
  // A resumed run keeps its ranges (the cursors are theirs), whatever --concurrency says now.
  const run: SavedRun = resuming ? saved : { ranges: rebuildRanges(studies, options.concurrency ?? 1).map((range) => ({ range, state: emptyRebuildState() })) };
  const examined = () => run.ranges.reduce((sum, { state }) => sum + state.examined, 0);
  if (resuming) out.write(`resuming ${run.ranges.length} range(s) (${examined()} versions already examined)\n`);
  const started = Date.now();
  const startedAt = examined();
  const draw = () => {
    const done = examined();
    const fraction = total ? Math.min(1, done / total) : 1;
    const seconds = (Date.now() - started) / 1000;
    const rate = (done - startedAt) / Math.max(seconds, 1e-3);
    const unindexed = run.ranges.reduce((sum, { state }) => sum + state.unindexed.length, 0);
    const line = `[${'#'.repeat(Math.round(fraction * 24)).padEnd(24, '-')}] ${done}/${total} versions, ${rate.toFixed(1)}/s, ${run.ranges.length} worker(s), ${unindexed} not indexed`;
    out.write(out.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  };
  const save = () => {
    if (!stateFile) return;
    writeFileSync(`${stateFile}.tmp`, JSON.stringify(run));
    renameSync(`${stateFile}.tmp`, stateFile);
  };
  await Promise.all(
    run.ranges.map(async (worker) => {
      while (!worker.state.done) {
        worker.state = await rebuildIndexPage(worker.state, options.now(), options.pageSize, worker.range);
        save();
        draw();
      }
    }),
  );
  if (out.isTTY) out.write('\n');
  // Holds and soft-deleted studies name instances: they come back once every instance is indexed (idempotent, so a resumed run repeats it).
  const ledgersStarted = Date.now();
  const ledgers = await restoreFromLedgers();
  const seconds = (Date.now() - started) / 1000;
  return { state: merged(run.ranges.map(({ state }) => state)), seconds, total, workers: run.ranges.length, ledgers, ledgerSeconds: (Date.now() - ledgersStarted) / 1000 };
}

/** A state file of a run before ranges existed: one range, the whole bucket. */
function savedRun(saved: SavedRun | RebuildState): SavedRun {
  return 'ranges' in saved ? saved : { ranges: [{ range: {}, state: saved }] };
}

/** The workers' states as one: their counts summed, their unindexed versions listed together. */
function merged(states: RebuildState[]): RebuildState {
  const sum = (pick: (state: RebuildState) => number) => states.reduce((total, state) => total + pick(state), 0);
  return {
    done: states.every((state) => state.done),
    examined: sum((s) => s.examined),
    indexedAsCurrent: sum((s) => s.indexedAsCurrent),
    indexedAsEarlierVersion: sum((s) => s.indexedAsEarlierVersion),
    alreadyIndexed: sum((s) => s.alreadyIndexed),
    tiersApplied: sum((s) => s.tiersApplied),
    legallyHeld: sum((s) => s.legallyHeld),
    otherObjects: sum((s) => s.otherObjects),
    unindexed: states.flatMap((s) => s.unindexed),
  };
}

/**
 * One listing pass (1,000 keys a request): the number of instance versions to rebuild, and each
 * study's extent (where the ranges of a parallel run may be cut).
 */
async function countInstanceVersions(): Promise<{ total: number; studies: StudyExtent[] }> {
  let total = 0;
  const studies: StudyExtent[] = [];
  let after: string | undefined;
  for (let more = true; more; ) {
    const page = await listArchivePage('', after, 1000);
    for (const { key } of page.objects) {
      const id = instanceIdentityFromKey(key);
      if (id) {
        total++;
        const prefix = `${id.tenant}/studies/${id.study}/`;
        const current = studies.at(-1);
        if (current?.prefix === prefix) current.versions++;
        else studies.push({ prefix, versions: 1, keyBefore: after });
      }
      after = key;
    }
    more = page.more;
  }
  return { total, studies };
}

/** The run's outcome for a person: counts, then every version that could not be indexed and why. */
export function summary(run: RebuildRun): string {
  const { state } = run;
  const lines = [
    `examined ${state.examined} instance versions in ${run.seconds.toFixed(1)} s (${(state.examined / Math.max(run.seconds, 1e-3)).toFixed(1)} versions/s, ${run.workers} worker(s))`,
    `  indexed: ${state.indexedAsCurrent} as current, ${state.indexedAsEarlierVersion} as earlier versions; already indexed: ${state.alreadyIndexed}`,
    `  tiers or restored copies applied: ${state.tiersApplied}; under an S3 legal hold: ${state.legallyHeld}`,
    `  legal holds from the bucket's ledger: ${run.ledgers.holds.restored} put back (${run.ledgers.holds.active} active), ${run.ledgers.holds.already} already indexed`,
    `  dispositions: ${run.ledgers.dispositions.runs} runs; ${run.ledgers.dispositions.softDeleted} soft-deleted studies put back in their vault, ${run.ledgers.dispositions.restoredSince} restored since, ${run.ledgers.dispositions.purged} purged (tombstones)`,
    `  other objects (metadata documents, staging, exports): ${state.otherObjects}`,
    `  not indexed: ${state.unindexed.length}`,
    ...state.unindexed.map((u) => `    ${u.key}: ${u.reason}`),
    ...run.ledgers.unapplied.map((u) => `    record ${u.key}: ${u.reason}`),
  ];
  return lines.join('\n');
}
