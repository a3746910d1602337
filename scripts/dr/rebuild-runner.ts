/**
 * Runs the index rebuild (lambdas/services/dr/rebuild-index.ts) page after page, with a progress
 * bar and a state file saved after every page: killed, it resumes where it stopped. The caller
 * has pointed the SDK and the services' configuration (BUCKET_ARCHIVE, TABLE_INDEX) at the bucket
 * and table (scripts/rebuild-index.ts, scripts/bench-rebuild.ts).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { instanceIdentityFromKey } from '#core/index-keys.ts';
import { listArchivePage } from '#adapters/archive-listing.ts';
import { emptyRebuildState, rebuildIndexPage, type RebuildState } from '#services/dr/rebuild-index.ts';

export interface RebuildRun {
  state: RebuildState;
  seconds: number;
  /** Instance versions in the bucket when the run began (the progress bar's whole). */
  total: number;
}

export async function runRebuild(options: { stateFile?: string | undefined; pageSize?: number; now: () => Date; out: NodeJS.WriteStream }): Promise<RebuildRun> {
  const { stateFile, out } = options;
  const saved = stateFile && existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as RebuildState) : undefined;
  let state = saved && !saved.done ? saved : emptyRebuildState();
  if (saved && !saved.done) out.write(`resuming after ${saved.cursor ?? 'the start'} (${saved.examined} versions already examined)\n`);
  const total = await countInstanceVersions();
  const started = Date.now();
  const startedAt = state.examined;
  const draw = () => {
    const fraction = total ? Math.min(1, state.examined / total) : 1;
    const seconds = (Date.now() - started) / 1000;
    const rate = (state.examined - startedAt) / Math.max(seconds, 1e-3);
    const line = `[${'#'.repeat(Math.round(fraction * 24)).padEnd(24, '-')}] ${state.examined}/${total} versions, ${rate.toFixed(1)}/s, ${state.unindexed.length} not indexed`;
    out.write(out.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  };
  while (!state.done) {
    state = await rebuildIndexPage(state, options.now(), options.pageSize);
    if (stateFile) {
      writeFileSync(`${stateFile}.tmp`, JSON.stringify(state));
      renameSync(`${stateFile}.tmp`, stateFile);
    }
    draw();
  }
  if (out.isTTY) out.write('\n');
  return { state, seconds: (Date.now() - started) / 1000, total };
}

/** One listing pass (1,000 keys a request): the number of instance versions to rebuild. */
async function countInstanceVersions(): Promise<number> {
  let count = 0;
  let after: string | undefined;
  for (let more = true; more; ) {
    const page = await listArchivePage('', after, 1000);
    count += page.objects.filter((object) => instanceIdentityFromKey(object.key)).length;
    after = page.objects.at(-1)?.key;
    more = page.more;
  }
  return count;
}

/** The run's outcome for a person: counts, then every version that could not be indexed and why. */
export function summary(run: RebuildRun): string {
  const { state } = run;
  const lines = [
    `examined ${state.examined} instance versions in ${run.seconds.toFixed(1)} s (${(state.examined / Math.max(run.seconds, 1e-3)).toFixed(1)} versions/s)`,
    `  indexed: ${state.indexedAsCurrent} as current, ${state.indexedAsEarlierVersion} as earlier versions; already indexed: ${state.alreadyIndexed}`,
    `  tiers or restored copies applied: ${state.tiersApplied}; under an S3 legal hold: ${state.legallyHeld} (hold records are not in the bucket: place the holds again, docs/dr.md)`,
    `  other objects (metadata documents, staging, exports): ${state.otherObjects}`,
    `  not indexed: ${state.unindexed.length}`,
    ...state.unindexed.map((u) => `    ${u.key}: ${u.reason}`),
  ];
  return lines.join('\n');
}
