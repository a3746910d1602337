/**
 * Which legal holds cover data, for whatever is about to delete it: the DELETE route, and
 * disposition (at evaluation and again at execution). Reads the index by key only: the held
 * study's registration (effective the moment a hold is placed) and, for instances, each one's
 * set of covering holds (marked by the hold workflow and at ingest). Core's `holdsCovering`
 * (#core/holds/covering.ts) is the pure rule for callers that already hold the items.
 */
import { Keys, type InstanceIdentity } from '#core/index-keys.ts';
import { holdsCovering } from '#core/holds/covering.ts';
import { instanceHolds, registeredHolds } from '#adapters/holds/hold-store.ts';

/** The holds covering a study, or one instance of it (sorted ids; empty when nothing holds it). */
export async function holdsCoveringData(target: { tenant: string; study: string } | InstanceIdentity): Promise<string[]> {
  const key = Keys.heldStudy(target.tenant, target.study);
  const studyHolds = (await registeredHolds([key])).get(key.pk) ?? [];
  const instance = 'sop' in target ? await instanceHolds(target) : [];
  return holdsCovering({ studyHolds, instanceHolds: instance });
}

export const isHeld = async (target: { tenant: string; study: string } | InstanceIdentity): Promise<boolean> => (await holdsCoveringData(target)).length > 0;
