/**
 * Reads of a study's bytes (WADO instances, frames, bulk data, rendered images) are what
 * last-access rules count (docs/lifecycle.md); metadata and QIDO are not, since viewers read them
 * to list studies nobody opens. Recording is best effort: a read never fails because its note
 * could not be written.
 */
import { recordStudyAccess } from '#adapters/lifecycle/study-lifecycle.ts';
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
