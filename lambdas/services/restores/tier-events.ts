/**
 * S3's tier events (class changed, restore completed, restore expired) applied to the index:
 * the instance's tier, its series' and study's availability counts, and the progress of the
 * study's restore, which this completes when its last object arrives.
 */
import type { InstanceIdentity } from '#core/index-keys.ts';
import type { RestoreRecord } from '#core/restores/restore-record.ts';
import { applyTierChange, type TierChange } from '#adapters/restores/instance-tier.ts';
import { recordStorageClass } from '#adapters/lifecycle/storage-class-store.ts';
import { completeIfRestored } from './restore-progress.ts';

export async function onTierEvent(id: InstanceIdentity, sha256: string, change: TierChange): Promise<{ updated: boolean; completed?: RestoreRecord | undefined }> {
  const { updated, notCurrent } = await applyTierChange(id, sha256, change);
  // Bytes of an earlier version change class too (S3 moves every version): their item and the usage counters follow.
  if (notCurrent && 'storageClass' in change) await recordStorageClass(id, sha256, change.storageClass, change.at);
  // Also on a duplicate event: a crash after counting the last object must not leave the round open.
  const completed = 'restoredUntil' in change && change.restoredUntil !== undefined ? await completeIfRestored(id.tenant, id.study) : undefined;
  return { updated, completed };
}
