/**
 * Entries a push must take back. A push that found its bytes already stored indexes them, then
 * looks again: a DELETE may have hidden them meanwhile (services/ingest/write-instance.ts). If
 * it cannot write them again (an S3 error), it answers the instance failed — and the entry it
 * (re)created must not stay over the delete marker, served as 404 and counted in QIDO. The
 * entries go as a deletion's do: counts and usage with them, at most 100 actions per
 * transaction, a legal hold placed meanwhile keeping them, and only while each is still the
 * entry this push wrote (its bytes' hash and its ingest time: another push may have written
 * the same bytes over it since). Then empty series and study entries go: the DELETE that ran
 * is whole again, and pushing again stores anew. The caller takes back only entries it created
 * whose bytes S3 has just shown hidden (store-instances.ts).
 */
import type { InstanceRecord } from '#adapters/index-store.ts';
import { deleteInstanceEntries, transactionGroups } from '#adapters/deletion/deletion-store.ts';
import { logger } from '#lambdas/observability/logger.ts';
import { settleStudy } from './delete-instances.ts';

export async function withdrawEntries(records: readonly InstanceRecord[], now: Date, clock: () => Date): Promise<void> {
  const bySeries = new Map<string, InstanceRecord[]>();
  for (const record of records) {
    const series = `${record.id.study}|${record.id.series}`;
    bySeries.set(series, [...(bySeries.get(series) ?? []), record]);
  }
  const at = now.toISOString();
  for (const series of bySeries.values()) {
    let removed = 0;
    let countsDrifted = false;
    for (const group of transactionGroups(series, at)) {
      const result = await deleteInstanceEntries(
        group,
        at,
        undefined,
        async (held) => {
          // A hold keeps what it covers; the hidden bytes stay recoverable (noncurrent) for its workflow.
          logger.warn('entries kept by a legal hold over bytes a DELETE hid', { instances: held.length });
        },
        { sameIngest: true },
      );
      removed += result.removed.length;
      countsDrifted ||= result.countsDrifted;
    }
    if (!removed) continue;
    const { tenant, study, series: seriesUid } = series[0]!.id;
    // Once per series (its empty series and study entries go). No tombstone of its own: the DELETE
    // that hid the bytes writes (or wrote) the one that stands.
    await settleStudy({ tenant, study, series: seriesUid }, { deleted: removed, kept: 0, countsDrifted }, now, clock, { tombstone: false });
  }
}
