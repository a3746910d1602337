/**
 * The tier backfill (docs/lifecycle.md, "Cold counts of studies archived before the tier
 * events"): objects S3's lifecycle moved before Strata listened to its tier events have an index
 * that still says STANDARD, and studies and series whose `nNearline`/`nOffline` counts were
 * never kept. For each study of a tenant this asks S3 for each object's actual storage class
 * (HeadObject), applies a difference as the class-changed event would have (the instance item,
 * the counts and the usage counters in one transaction: adapters/restores/instance-tier.ts),
 * dated when S3 made it (core/lifecycle/class-entered.ts: from LastModified and the object's
 * policy class, read from its tags — a GetObjectTagging per corrected object),
 * then derives the series' and study's cold counts from the instance items and sets those that
 * differ. Counts are read before the instances, and set only if unchanged since, so a tier event
 * landing meanwhile makes the study "busy" (done again on the next run) rather than miscounted.
 * Idempotent: a second run changes nothing. Run once by `npm run backfill:tier-counts`; the
 * hourly maintenance does not HeadObject every object (that would cost $0.40 per million objects
 * an hour).
 */
import { coldContribution, type ColdCounts } from '#core/lifecycle/availability.ts';
import { classEnteredAt } from '#core/lifecycle/class-entered.ts';
import { POLICY_CLASS_TAG } from '#core/lifecycle/policy-class.ts';
import { objectTags } from '#adapters/lifecycle/object-tags.ts';
import { config } from '#lambdas/config.ts';
import { headInstanceObject } from '#adapters/object-store.ts';
import { listInstanceRecords } from '#adapters/index-store.ts';
import { correctColdCounts, readColdCounts, type StoredColdCounts } from '#adapters/lifecycle/cold-counts.ts';
import { applyTierChange } from '#adapters/restores/instance-tier.ts';
import { studyPage } from '#adapters/study-counts.ts';

export interface BackfillReport {
  cursor?: string | undefined;
  studies: number;
  instances: number;
  /** Instances whose recorded class was not S3's. */
  classesCorrected: number;
  /** Study and series items whose cold counts were set. */
  countsCorrected: number;
  /** Studies that changed while they were counted (counted again on the next run). */
  busy: string[];
}

const PAGE = 25;
const TIME_RESERVE_MS = 30_000;
const CONCURRENT_HEADS = 16;

export const emptyReport = (): BackfillReport => ({ studies: 0, instances: 0, classesCorrected: 0, countsCorrected: 0, busy: [] });

/** One page of the tenant's studies (fewer when time runs short); `cursor` continues the walk. */
export async function backfillTierCountsPage(tenant: string, report: BackfillReport, now: Date, timeLeftMs: () => number = () => Number.POSITIVE_INFINITY): Promise<BackfillReport> {
  const next: BackfillReport = { ...report, busy: [...report.busy], cursor: undefined };
  const page = await studyPage(tenant, report.cursor, PAGE);
  let last: string | undefined;
  for (const { study, cursor } of page.studies) {
    if (last !== undefined && timeLeftMs() < TIME_RESERVE_MS) break;
    await backfillStudy(tenant, study, now, next);
    last = cursor;
  }
  next.cursor = page.more || last !== page.studies.at(-1)?.cursor ? last : undefined;
  return next;
}

async function backfillStudy(tenant: string, study: string, now: Date, report: BackfillReport): Promise<void> {
  report.studies++;
  const records = await listInstanceRecords(tenant, study);
  report.instances += records.length;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENT_HEADS, records.length) }, async () => {
      while (next < records.length) {
        const record = records[next++]!;
        const head = await headInstanceObject(record.objectKey);
        if (!head || head.storageClass === (record.storageClass || 'STANDARD')) continue;
        // Dated when S3 made the change, not now: early-deletion charges count from it.
        const at = head.lastModified ? classEnteredAt(config.lifecyclePolicy(), { ...head, lastModified: head.lastModified, policyClass: (await objectTags(record.objectKey))[POLICY_CLASS_TAG] }, now) : now;
        if ((await applyTierChange(record.id, record.sha256, { storageClass: head.storageClass, at: at.toISOString() })).updated) report.classesCorrected++;
      }
    }),
  );
  // Counts first, instances second (as the count reconciliation does): a change in between fails the conditional set.
  const seen = await readColdCounts(tenant, study);
  if (!seen.study) return; // deleted meanwhile
  const actual = { study: { nearline: 0, offline: 0 }, series: new Map<string, ColdCounts>() };
  for (const record of await listInstanceRecords(tenant, study)) {
    const cold = coldContribution(record.storageClass || 'STANDARD', record.restoredUntil !== undefined);
    const series = actual.series.get(record.id.series) ?? { nearline: 0, offline: 0 };
    series.nearline += cold.nearline;
    series.offline += cold.offline;
    actual.series.set(record.id.series, series);
    actual.study.nearline += cold.nearline;
    actual.study.offline += cold.offline;
  }
  const differs = (stored: StoredColdCounts, counts: ColdCounts) => (stored.nearline ?? 0) !== counts.nearline || (stored.offline ?? 0) !== counts.offline;
  let busy = false;
  for (const [series, counts] of actual.series) {
    const stored = seen.series.get(series);
    if (!stored || !differs(stored, counts)) continue;
    if (await correctColdCounts(tenant, study, series, stored, counts)) report.countsCorrected++;
    else busy = true;
  }
  if (differs(seen.study, actual.study)) {
    if (await correctColdCounts(tenant, study, undefined, seen.study, actual.study)) report.countsCorrected++;
    else busy = true;
  }
  if (busy && report.busy.length < 100) report.busy.push(study);
}
