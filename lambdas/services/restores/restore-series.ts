/**
 * Restore workflow step: asks S3 to restore every unreadable archived instance of one series
 * (a page of the study: the Map iterates series, not objects), a few requests at a time.
 * Each object's answer is counted; a request S3 already has in progress is not an error.
 */
import { tierFor, type RestoreTier } from '#core/restores/restore-tiers.ts';
import { clock } from '#adapters/clock.ts';
import { listInstanceRecords } from '#adapters/index-store.ts';
import { listSeriesUids } from '#adapters/study-store.ts';
import { restoreObject, type RestoreOutcome } from '#adapters/restores/restore-objects.ts';
import { unreadable } from './start-restore.ts';

export interface SeriesRestoreInput {
  tenant: string;
  study: string;
  series: string;
  tier: RestoreTier;
  days: number;
}

export type SeriesRestoreCounts = Record<RestoreOutcome, number> & { series: string };

const CONCURRENT_REQUESTS = 16;

export async function restoreSeries(input: SeriesRestoreInput): Promise<SeriesRestoreCounts> {
  const cold = unreadable(await listInstanceRecords(input.tenant, input.study, input.series), clock.now());
  const counts: SeriesRestoreCounts = { series: input.series, requested: 0, ready: 0, inProgress: 0, notArchived: 0 };
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENT_REQUESTS, cold.length) }, async () => {
      while (next < cold.length) {
        const record = cold[next++]!;
        counts[await restoreObject(record.objectKey, tierFor(record.storageClass, input.tier), input.days)] += 1;
      }
    }),
  );
  return counts;
}

/** The workflow's pages: the series of the study (the Map restores one series per iteration). */
export async function restorePages<T extends { tenant: string; study: string }>(input: T): Promise<T & { series: string[] }> {
  return { ...input, series: await listSeriesUids(input.tenant, input.study) };
}
