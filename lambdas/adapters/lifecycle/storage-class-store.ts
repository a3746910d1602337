/**
 * The usage counters (docs/finance.md) of what S3 says happened to an instance's bytes: the
 * updates a tier change or a restored copy adds to the transaction that records it (the current
 * version's is adapters/restores/instance-tier.ts), and the lifecycle transition of an earlier
 * version's bytes, recorded here. Each applies once: a replayed or late event finds the item
 * already in that state (or a colder class) and changes and counts nothing.
 */
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { isStorageTier, type StorageTier } from '#core/finance/price-table.ts';
import { restoreCompleted, restoredCopyGone, tierChanged, type StoredObject } from '#core/finance/usage.ts';
import { Keys, type InstanceIdentity } from '#core/index-keys.ts';
import { TIER_ORDER, type Tier } from '#core/lifecycle/policy.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { usageActions } from '#adapters/finance/usage-store.ts';

const db = documentClient;
const MAX_ATTEMPTS = 5;

/** The item holding these bytes: the instance item (current version) or an earlier version's. */
async function itemOf(id: InstanceIdentity, sha256: string) {
  const TableName = config.indexTable();
  const instance = (await db().send(new GetCommand({ TableName, Key: Keys.instance(id), ConsistentRead: true }))).Item;
  if (instance?.sha256 === sha256) return { key: Keys.instance(id), item: instance, modality: String(instance.modality ?? ''), current: true };
  const version = (await db().send(new GetCommand({ TableName, Key: Keys.instanceVersion(id, sha256), ConsistentRead: true }))).Item;
  return version ? { key: Keys.instanceVersion(id, sha256), item: version, modality: String(instance?.modality ?? ''), current: false } : undefined;
}

const tierOf = (item: Record<string, unknown>): StorageTier => {
  const tier = String(item.storageClass ?? 'STANDARD');
  return isStorageTier(tier) ? tier : 'STANDARD';
};
const colder = (to: StorageTier, from: StorageTier) => TIER_ORDER.indexOf(to as Tier) > TIER_ORDER.indexOf(from as Tier);
const cancelled = (error: unknown) => (error as Error).name === 'TransactionCanceledException';

/**
 * The usage counters' updates for a change of the current version's tier or restored copy, from
 * its item as read (the caller's transaction is conditional on that state): a transition moves
 * the bytes between tiers and ends any restored copy; a restored copy appearing is billed as a
 * retrieval and held as RESTORED until it goes.
 */
export function usageOfTierChange(id: InstanceIdentity, item: Record<string, unknown>, at: string, change: { storageClass: string } | { restoredUntil: string | undefined }) {
  const object: StoredObject = { tenant: id.tenant, modality: String(item.modality ?? ''), size: Number(item.size) };
  const from = tierOf(item);
  const had = item.restoredUntil !== undefined;
  let deltas: ReturnType<typeof tierChanged> = [];
  if ('storageClass' in change) {
    if (isStorageTier(change.storageClass) && change.storageClass !== from) {
      const since = String(item.storageClassChangedAt ?? item.ingestedAt ?? at);
      deltas = [...tierChanged(object, from, change.storageClass, since, at), ...(had ? restoredCopyGone(object, at) : [])];
    }
  } else if (change.restoredUntil === undefined) {
    if (had) deltas = restoredCopyGone(object, at);
  } else if (!had) {
    deltas = restoreCompleted(object, from, at);
  }
  return usageActions(deltas, id.study);
}

/**
 * Records the storage class S3 reports after a lifecycle transition of these bytes (the current
 * version's or an earlier one's). False when no item holds them, or the class is not colder
 * than the recorded one (a replayed or out-of-order event).
 */
export async function recordStorageClass(id: InstanceIdentity, sha256: string, storageClass: string, at: string): Promise<boolean> {
  if (!isStorageTier(storageClass)) throw new RangeError(`not a storage class: ${storageClass}`);
  const TableName = config.indexTable();
  for (let attempt = 1; ; attempt++) {
    const found = await itemOf(id, sha256);
    if (!found) return false;
    const from = tierOf(found.item);
    if (!colder(storageClass, from)) return false;
    const restored = found.item.restoredUntil !== undefined;
    try {
      await db().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName,
                Key: found.key,
                // A transition ends any restored copy (S3 drops it with the old class).
                UpdateExpression: 'SET storageClass = :c, storageClassChangedAt = :at REMOVE restoredUntil',
                ConditionExpression: `sha256 = :sha AND ${from === 'STANDARD' ? '(attribute_not_exists(storageClass) OR storageClass = :from)' : 'storageClass = :from'} AND ${restored ? 'attribute_exists(restoredUntil)' : 'attribute_not_exists(restoredUntil)'}`,
                ExpressionAttributeValues: { ':c': storageClass, ':at': at, ':sha': sha256, ':from': from },
              },
            },
            ...usageOfTierChange(id, { ...found.item, modality: found.modality }, at, { storageClass }),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (!cancelled(error) || attempt >= MAX_ATTEMPTS) throw error; // changed meanwhile: re-read
    }
  }
}


