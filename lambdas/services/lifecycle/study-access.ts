/**
 * Reads of a study's bytes (WADO instances, frames, bulk data, rendered images) are what
 * last-access rules count (docs/lifecycle.md); metadata and QIDO are not, since viewers read them
 * to list studies nobody opens. Recording is best effort: a read never fails because its note
 * could not be written.
 */
import { recordStudyAccess } from '#adapters/lifecycle/study-lifecycle.ts';
import { touchLastAccessCheck } from '#adapters/lifecycle/last-access-checks.ts';
import type { InstanceRecord } from '#adapters/index-store.ts';
import { dayOf } from '#core/lifecycle/last-access.ts';
import { ARCHIVE_CLASSES } from '#core/restores/restore-tiers.ts';
import { clock } from '#adapters/clock.ts';
import { logger } from '#lambdas/observability/logger.ts';

export async function noteStudiesRead(studies: readonly { tenant: string; study: string }[]): Promise<void> {
  const now = clock.now();
  const distinct = new Map(studies.map((s) => [`${s.tenant}/${s.study}`, s]));
  await Promise.all(
    [...distinct.values()].map((s) =>
      recordStudyAccess(s.tenant, s.study, now).catch((error: unknown) => logger.warn('study access not recorded', { error: (error as Error).name })),
    ),
  );
}

/**
 * A read served from restored copies of archived objects makes the study's last-access check due
 * today, so the daily run can copy them back to a warmer class while the copies last, if their
 * rule says so (docs/lifecycle.md, "Copy back"). Best effort, like the access note.
 */
export async function noteRestoredReads(records: readonly InstanceRecord[]): Promise<void> {
  const now = clock.now();
  const studies = new Map<string, { tenant: string; study: string }>();
  for (const { id, storageClass, restoredUntil } of records) {
    if (ARCHIVE_CLASSES.has(storageClass) && restoredUntil !== undefined && Date.parse(restoredUntil) > now.getTime()) studies.set(`${id.tenant}/${id.study}`, id);
  }
  await Promise.all(
    [...studies.values()].map((s) =>
      touchLastAccessCheck(s.tenant, dayOf(now), s.study).catch((error: unknown) => logger.warn('restored read not noted', { error: (error as Error).name })),
    ),
  );
}
