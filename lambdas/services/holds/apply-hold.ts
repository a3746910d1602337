/**
 * The legal-hold workflow's work on a batch of studies (statemachines/legal-hold.asl.json).
 * Placing: each instance is marked in the index first (its set of covering holds), then S3's
 * legal hold is set on every version of every object of it (current and earlier Strata
 * versions, each listed with ListObjectVersions). Releasing: the hold leaves each instance's
 * set, and S3's legal hold is cleared only where no other hold covers the instance (its set,
 * or another hold registered on its study); cleared, the set is read again, so a hold placed
 * meanwhile puts the lock back. Safe to retry: sets and legal holds are idempotent.
 */
import { Keys } from '#core/index-keys.ts';
import { holdsCovering, stillHeldAfterRelease } from '#core/holds/covering.ts';
import { addHoldProgress, countHeldObject, instanceHolds, instancesToHold, markInstance, registeredHolds, unmarkInstance, type HeldInstance } from '#adapters/holds/hold-store.ts';
import { setLegalHoldOnVersions } from '#adapters/holds/object-holds.ts';

export type HoldAction = 'place' | 'release';

export interface BatchCounts {
  studiesDone: number;
  instances: number;
  bytes: number;
  objectVersions: number;
  /** Release: instances left locked because another hold covers them. */
  stillHeld: number;
}

/** Instances worked on at once (each a few S3 calls). */
const PARALLEL_INSTANCES = 8;

export async function applyHoldToStudies(tenant: string, holdId: string, action: HoldAction, studies: string[]): Promise<BatchCounts> {
  const counts: BatchCounts = { studiesDone: 0, instances: 0, bytes: 0, objectVersions: 0, stillHeld: 0 };
  for (const study of studies) {
    const instances = await instancesToHold(tenant, study);
    const otherStudyHolds = action === 'release' ? ((await registeredHolds([Keys.heldStudy(tenant, study)])).get(Keys.heldStudy(tenant, study).pk) ?? []) : [];
    for (let i = 0; i < instances.length; i += PARALLEL_INSTANCES) {
      await Promise.all(
        instances.slice(i, i + PARALLEL_INSTANCES).map(async (instance) => {
          const versions = action === 'place' ? await place(tenant, instance, holdId) : await release(instance, holdId, otherStudyHolds, counts);
          counts.instances += 1;
          counts.bytes += instance.bytes;
          counts.objectVersions += versions;
        }),
      );
    }
    counts.studiesDone += 1;
  }
  const { stillHeld: _, ...progress } = counts;
  // Placing counts each object into the hold once, as it locks it (countHeldObject); the batch adds its studies.
  await addHoldProgress(tenant, holdId, action === 'place' ? { studiesDone: counts.studiesDone, instances: 0, bytes: 0, objectVersions: 0 } : progress);
  return counts;
}

async function place(tenant: string, instance: HeldInstance, holdId: string): Promise<number> {
  await markInstance(instance.id, holdId);
  let locked = 0;
  for (const [i, version] of instance.versions.entries()) {
    const versions = await setLegalHoldOnVersions(version.objectKey, true);
    await countHeldObject(tenant, holdId, version.objectKey, { instances: i === 0 ? 1 : 0, bytes: version.bytes, objectVersions: versions });
    locked += versions;
  }
  return locked;
}

async function release(instance: HeldInstance, holdId: string, otherStudyHolds: string[], counts: BatchCounts): Promise<number> {
  const remaining = await unmarkInstance(instance.id, holdId);
  if (stillHeldAfterRelease(holdsCovering({ instanceHolds: remaining, studyHolds: otherStudyHolds }), holdId)) {
    counts.stillHeld += 1;
    return 0;
  }
  const cleared = await setLegalHold(instance, false);
  if ((await instanceHolds(instance.id)).length) await setLegalHold(instance, true); // placed meanwhile
  return cleared;
}

async function setLegalHold(instance: HeldInstance, on: boolean): Promise<number> {
  let versions = 0;
  for (const { objectKey } of instance.versions) versions += await setLegalHoldOnVersions(objectKey, on);
  return versions;
}
