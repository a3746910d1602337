/**
 * A study restore's progress as S3 reports it: each completed object is counted once (in the
 * same transaction that records its restored copy, adapters/restores/instance-tier.ts); the
 * round that reaches its total is marked COMPLETED exactly once (a conditional update), and
 * only that update announces it.
 */
import type { RestoreRecord } from '#core/restores/restore-record.ts';
import type { SeriesRestoreCounts } from './restore-series.ts';
import { clock } from '#adapters/clock.ts';
import { finishRestore, getRestoreRecord } from '#adapters/restores/restore-records.ts';
import { publishRestoreCompleted } from '#adapters/restores/restore-events.ts';
import { logger } from '#lambdas/observability/logger.ts';

/** Completes the study's restore round if every object it waits for is restored; the record when this call completed it. */
export async function completeIfRestored(tenant: string, study: string): Promise<RestoreRecord | undefined> {
  const record = await getRestoreRecord(tenant, study);
  if (!record || record.status !== 'IN_PROGRESS' || record.restored < record.total) return undefined;
  const at = clock.now().toISOString();
  if (!(await finishRestore(tenant, study, record.round, 'COMPLETED', at))) return undefined;
  const completed = { ...record, status: 'COMPLETED' as const, completedAt: at };
  logger.info('restore completed', { round: record.round, total: record.total });
  await publishRestoreCompleted(completed);
  return completed;
}

/**
 * The workflow's last step: what S3 answered for every object. When no object is left to wait
 * for (all were already restored or no longer archived), no completion event will ever come,
 * so the round ends here.
 */
export async function recordRestoreRequests(input: { tenant: string; study: string; round: number; results: SeriesRestoreCounts[] }) {
  const totals = { requested: 0, ready: 0, inProgress: 0, notArchived: 0 };
  for (const result of input.results) for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += result[key];
  const waiting = totals.requested + totals.inProgress;
  let completed = false;
  if (waiting === 0) {
    const at = clock.now().toISOString();
    completed = await finishRestore(input.tenant, input.study, input.round, 'COMPLETED', at);
    const record = completed ? await getRestoreRecord(input.tenant, input.study) : undefined;
    if (record) await publishRestoreCompleted(record);
  }
  return { ...totals, series: input.results.length, completedWithoutWaiting: completed };
}
