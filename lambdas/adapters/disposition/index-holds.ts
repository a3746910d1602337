/**
 * HoldsPort answered from the legal holds' registrations (docs/legal-hold.md): each study's
 * held-study item, written the moment a hold is placed (and at ingest for a held patient's new
 * study), read 100 studies per BatchGetItem with ConsistentRead, so a hold placed after the dry
 * run is seen by the re-check right before a deletion.
 */
import type { HoldsPort } from '#core/disposition/holds-port.ts';
import { Keys } from '#core/index-keys.ts';
import { registeredHolds } from '#adapters/holds/hold-store.ts';

const BATCH = 100;

export const indexHolds: HoldsPort = {
  async holdsOn(tenant, studies) {
    const held = new Map<string, string[]>();
    for (let i = 0; i < studies.length; i += BATCH) {
      const batch = studies.slice(i, i + BATCH);
      const found = await registeredHolds(batch.map((study) => Keys.heldStudy(tenant, study)));
      for (const study of batch) {
        const ids = [...(found.get(Keys.heldStudy(tenant, study).pk) ?? [])].sort();
        if (ids.length) held.set(study, ids);
      }
    }
    return held;
  },
};
