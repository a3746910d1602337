/**
 * One change of an instance's tier as S3 announces it (class changed, restore completed or
 * expired), applied to the index in one transaction: the instance item, the cold counts of its
 * series and study (study/series-level InstanceAvailability without reading instances), and,
 * when the change completes one object of a study restore in progress, that restore's count.
 * The transaction is conditional on the instance state it was computed from, so a duplicate or
 * reordered event changes nothing twice; a lost race is re-read and retried.
 */
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { coldContribution } from '#core/lifecycle/availability.ts';
import { Keys, type InstanceIdentity } from '#core/index-keys.ts';
import { ARCHIVE_CLASSES } from '#core/restores/restore-tiers.ts';
import { config } from '#lambdas/config.ts';
import { clock } from '#adapters/clock.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { usageOfTierChange } from '#adapters/lifecycle/storage-class-store.ts';
import { getRestoreRecord } from './restore-records.ts';

const db = documentClient;
const ATTEMPTS = 8;

/** `at`: when S3 says it happened (the event's time), from which the usage counters bill. */
export type TierChange = { storageClass: string; at: string } | { restoredUntil: string | undefined; at?: string | undefined };

export interface TierChangeResult {
  /** The instance's current version was changed (false: an older version, or nothing to change). */
  updated: boolean;
  /** A study restore in progress counted this object as restored. */
  countedFor?: { round: number } | undefined;
  /** The bytes are not the instance's current version (an earlier version's, or no instance's). */
  notCurrent?: boolean;
}

export async function applyTierChange(id: InstanceIdentity, sha256: string, change: TierChange): Promise<TierChangeResult> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const read = await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.instance(id), ConsistentRead: true }));
    const item = read.Item;
    if (!item || item.sha256 !== sha256) return { updated: false, notCurrent: true };
    const oldClass = String(item.storageClass ?? 'STANDARD');
    const oldRestored = item.restoredUntil !== undefined;
    // A transition ends any restored copy (S3 drops it with the old class).
    const newClass = 'storageClass' in change ? change.storageClass : oldClass;
    const newRestored = 'storageClass' in change ? false : change.restoredUntil !== undefined;
    if ('restoredUntil' in change && change.restoredUntil === item.restoredUntil) return { updated: false };
    const before = coldContribution(oldClass, oldRestored);
    const after = coldContribution(newClass, newRestored);
    const delta = { nearline: after.nearline - before.nearline, offline: after.offline - before.offline };
    // A copy recorded as restored but past its expiry (its expiry event not yet applied, or never
    // sent because a new restore replaced it) is no copy: its object counts for a new round.
    const oldCopyReadable = oldRestored && Date.parse(String(item.restoredUntil)) > clock.now().getTime();
    const completesRestore = !oldCopyReadable && newRestored && ARCHIVE_CLASSES.has(oldClass);
    const restore = completesRestore ? await getRestoreRecord(id.tenant, id.study) : undefined;
    const counting = restore?.status === 'IN_PROGRESS' ? restore : undefined;

    const set = 'storageClass' in change
      ? { expression: 'SET storageClass = :class, storageClassChangedAt = :at REMOVE restoredUntil', values: { ':class': newClass, ':at': change.at } }
      : change.restoredUntil === undefined
        ? { expression: 'REMOVE restoredUntil', values: {} }
        : { expression: 'SET restoredUntil = :until', values: { ':until': change.restoredUntil } };
    const unchangedSince = [
      'sha256 = :sha',
      item.storageClass === undefined ? 'attribute_not_exists(storageClass)' : 'storageClass = :oldClass',
      oldRestored ? 'restoredUntil = :oldUntil' : 'attribute_not_exists(restoredUntil)',
    ].join(' AND ');
    const counts = (key: { pk: string; sk: string }) => ({
      Update: {
        TableName: config.indexTable(),
        Key: key,
        UpdateExpression: 'ADD nNearline :nearline, nOffline :offline',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':nearline': delta.nearline, ':offline': delta.offline },
      },
    });
    const items = [
      // The usage counters (docs/finance.md) change with the tier, once: same transaction, same condition.
      ...usageOfTierChange(id, item, change.at ?? clock.now().toISOString(), 'storageClass' in change ? { storageClass: change.storageClass } : { restoredUntil: change.restoredUntil }),
      {
        Update: {
          TableName: config.indexTable(),
          Key: Keys.instance(id),
          UpdateExpression: set.expression,
          ConditionExpression: unchangedSince,
          ExpressionAttributeValues: {
            ...set.values,
            ':sha': sha256,
            ...(item.storageClass === undefined ? {} : { ':oldClass': item.storageClass }),
            ...(oldRestored ? { ':oldUntil': item.restoredUntil } : {}),
          },
        },
      },
      ...(delta.nearline || delta.offline ? [counts(Keys.series(id.tenant, id.study, id.series)), counts(Keys.study(id.tenant, id.study))] : []),
      ...(counting
        ? [
            {
              Update: {
                TableName: config.indexTable(),
                Key: Keys.restore(id.tenant, id.study),
                UpdateExpression: 'ADD restored :one',
                ConditionExpression: '#round = :round AND #status = :inProgress',
                ExpressionAttributeNames: { '#round': 'round', '#status': 'status' },
                ExpressionAttributeValues: { ':one': 1, ':round': counting.round, ':inProgress': 'IN_PROGRESS' },
              },
            },
          ]
        : []),
    ];
    try {
      await db().send(new TransactWriteCommand({ TransactItems: items }));
      return { updated: true, countedFor: counting ? { round: counting.round } : undefined };
    } catch (error) {
      if ((error as Error).name !== 'TransactionCanceledException') throw error;
      // Something changed since the read (another event, a new restore round, a deletion): read again.
    }
  }
  throw new Error(`the tier change of an instance lost ${ATTEMPTS} races in a row; the event will be retried`);
}
