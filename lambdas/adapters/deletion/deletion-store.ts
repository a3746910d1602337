/**
 * Index writes and reads for deletions: instances removed with their counts in one
 * transaction, and tombstones so a deleted resource answers 410 rather than 404. (Deletions
 * are audited in the audit trail, docs/audit.md.)
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DeletionSuperseded } from '#core/deletion/deletion.ts';
import { deleted, type UsageDelta } from '#core/finance/usage.ts';
import { isStorageTier } from '#core/finance/price-table.ts';
import { Keys, type ResourceScope } from '#core/index-keys.ts';
import { coldContribution } from '#core/lifecycle/availability.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { usageActions } from '#adapters/finance/usage-store.ts';
import type { InstanceRecord, InstanceVersion } from '#adapters/index-store.ts';
import { progressUpdate, type HandledProgress, type ProgressTarget } from './deletion-records.ts';

const db = documentClient;

export type DeletedLevel = 'study' | 'series' | 'instance';

const cancelled = (error: unknown): error is TransactionCanceledException => error instanceof TransactionCanceledException;
const refusedAt = (error: TransactionCanceledException, index: number) => error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';

export interface InstanceEntriesRemoved {
  /** Instances whose entry this call removed. */
  removed: InstanceRecord[];
  /** Instances a legal hold placed since their bytes were deleted covers: their entries stay (and `keep` brought their bytes back). */
  held: InstanceRecord[];
  /** Instances whose entry was gone (a concurrent DELETE) or held another version (a concurrent STOW). */
  refused: InstanceRecord[];
  /** A count was already lower than the instances it counts (drift): the entries went without it. */
  countsDrifted: boolean;
}

/** DynamoDB's limit on the actions of one TransactWriteItems. */
export const MAX_TRANSACTION_ACTIONS = 100;

/**
 * The actions `deleteInstanceEntries` writes for these instances of one series: an entry each,
 * the series' and study's counts, the usage counters (three per tier × modality, a restored copy
 * being a tier of its own), the deletion's progress and the check of the study's holds. A batch
 * must keep this ≤ 100.
 */
export function entryRemovalActions(records: readonly InstanceRecord[], at: string): number {
  if (records.length === 0) return 0;
  return records.length + 2 + usageActions(records.flatMap((r) => deletedUsage(r, r, at)), records[0]!.id.study).length + 1 + 1;
}

/**
 * Instances of one series cut into groups whose entries `deleteInstanceEntries` removes in one
 * transaction each: DynamoDB takes at most 100 actions in one, usage counters included.
 */
export function transactionGroups(records: readonly InstanceRecord[], at: string, most = INSTANCES_PER_TRANSACTION): InstanceRecord[][] {
  const groups: InstanceRecord[][] = [];
  let group: InstanceRecord[] = [];
  for (const record of records) {
    if (group.length && (group.length >= most || entryRemovalActions([...group, record], at) > MAX_TRANSACTION_ACTIONS)) {
      groups.push(group);
      group = [];
    }
    group.push(record);
  }
  if (group.length) groups.push(group);
  return groups;
}

/** Instance deletes per transaction, leaving room for the two counts, the usage counters and the progress. */
export const INSTANCES_PER_TRANSACTION = 75;

/**
 * Removes index entries of instances of one series with their counts, in one transaction.
 * Each entry goes only if it still holds the version whose bytes were deleted, and each count
 * only drops while it covers what is removed, so a concurrent DELETE (the same instance twice)
 * or STOW (a new version, a series recreated) can never drive a count below zero. The
 * deletion's progress (`target`, `progress`, saved at `stamp`) is written in the same
 * transaction; its condition refused, nothing is removed and `DeletionSuperseded` is thrown.
 * Without a deletion (a push withdrawing the entries it wrote) there is no progress to write.
 */
export async function deleteInstanceEntries(
  records: InstanceRecord[],
  at: string,
  deletion: { target: ProgressTarget; progress: Omit<HandledProgress, 'deleted'>; stamp: string } | undefined,
  keep: (held: InstanceRecord[]) => Promise<void>,
  /**
   * `sameIngest`: an entry goes only while it is the very one the record was read from (its
   * ingest time too, not only its bytes' hash): a push withdrawing its own entry must not remove
   * one that another push of the same bytes wrote over it since.
   */
  options: { sameIngest?: boolean } = {},
): Promise<InstanceEntriesRemoved> {
  const TableName = config.indexTable();
  let pending = records;
  const refused: InstanceRecord[] = [];
  const held: InstanceRecord[] = [];
  let countsDrifted = false;
  while (pending.length > 0) {
    // The usage counters (docs/finance.md) go down with the entries, in the same transaction:
    // an entry already gone (a concurrent DELETE) cancels it, so nothing is counted out twice.
    const usage = usageActions(pending.flatMap((r) => deletedUsage(r, r, at)), pending[0]!.id.study);
    const { tenant, study, series } = pending[0]!.id;
    // Archived instances leave the series' and study's cold counts (study/series InstanceAvailability) with them.
    const cold = pending.reduce(
      (sum, r) => {
        const c = coldContribution(r.storageClass, r.restoredUntil !== undefined);
        return { nearline: sum.nearline + c.nearline, offline: sum.offline + c.offline };
      },
      { nearline: 0, offline: 0 },
    );
    const coldTerms = cold.nearline || cold.offline ? ', nNearline :coldN, nOffline :coldO' : '';
    const minus = { ':minus': -pending.length, ':n': pending.length, ...(coldTerms ? { ':coldN': -cold.nearline, ':coldO': -cold.offline } : {}) };
    const counted = (Key: { pk: string; sk: string }) => ({
      Update: { TableName, Key, UpdateExpression: `ADD nInstances :minus${coldTerms}`, ConditionExpression: 'nInstances >= :n', ExpressionAttributeValues: minus },
    });
    // A legal hold placed after an instance's bytes went, before this transaction: registered on
    // the study the moment it is placed, marked on the entries by its workflow. Either refuses.
    const deletes = pending.map((r) => ({
      Delete: {
        TableName,
        Key: Keys.instance(r.id),
        ConditionExpression: `sha256 = :sha${options.sameIngest ? ' AND ingestedAt = :at' : ''} AND attribute_not_exists(holds)`,
        ExpressionAttributeValues: { ':sha': r.sha256, ...(options.sameIngest ? { ':at': r.ingestedAt } : {}) },
      },
    }));
    const holdCheck = { ConditionCheck: { TableName, Key: Keys.heldStudy(tenant, study), ConditionExpression: 'attribute_not_exists(holds)' } };
    const counts = countsDrifted ? [] : [counted(Keys.series(tenant, study, series)), counted(Keys.study(tenant, study))];
    const progress = deletion
      ? [
          {
            Update: progressUpdate(
              deletion.target,
              { ...deletion.progress, kept: deletion.progress.kept + held.length, countsDrifted: deletion.progress.countsDrifted || countsDrifted },
              pending.length,
              deletion.stamp,
            ),
          },
        ]
      : [];
    try {
      // The progress last: its cancellation reason is the last one.
      await db().send(new TransactWriteCommand({ TransactItems: [...deletes, ...counts, ...usage, holdCheck, ...progress] }));
      return { removed: pending, held, refused, countsDrifted };
    } catch (error) {
      if (!cancelled(error)) throw error;
      if (deletion && refusedAt(error, deletes.length + counts.length + usage.length + 1)) throw new DeletionSuperseded(deletion.target.id);
      const newlyHeld = refusedAt(error, deletes.length + counts.length + usage.length)
        ? pending
        : await heldAmong(pending.filter((_, i) => refusedAt(error, i)));
      if (newlyHeld.length) {
        // Their bytes come back before the cursor can move past them: a crash in between repeats them.
        await keep(newlyHeld);
        held.push(...newlyHeld);
        pending = pending.filter((r) => !newlyHeld.includes(r));
        continue;
      }
      const gone = new Set(pending.filter((_, i) => refusedAt(error, i)));
      if (gone.size === 0 && !countsDrifted && [pending.length, pending.length + 1].some((i) => refusedAt(error, i))) countsDrifted = true;
      else if (gone.size === 0) throw error; // a conflict: the caller's retry decides
      // An entry that holds another version now (a STOW raced the delete) made this one an
      // earlier version, whose bytes are gone: its item goes before the cursor moves past it.
      for (const record of gone) await deleteVersionEntries(record, [{ ...record, itemKey: Keys.instanceVersion(record.id, record.sha256) }], at);
      refused.push(...gone);
      pending = pending.filter((r) => !gone.has(r));
    }
  }
  return { removed: [], held, refused, countsDrifted };
}

/** Of entries a batch's transaction refused, those a hold now marks (the others hold another version, or are gone). */
async function heldAmong(records: InstanceRecord[]): Promise<InstanceRecord[]> {
  const held: InstanceRecord[] = [];
  for (const record of records) {
    const found = await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.instance(record.id), ProjectionExpression: 'holds', ConsistentRead: true }));
    if (found.Item?.holds) held.push(record);
  }
  return held;
}

/** What deleting the bytes of `version` (the current one, or an earlier one of `current`) takes off the usage counters. */
function deletedUsage(current: InstanceRecord, version: InstanceRecord | InstanceVersion, at: string): UsageDelta[] {
  const tier = version.storageClass ?? 'STANDARD';
  if (!isStorageTier(tier)) return [];
  const restored = 'restoredUntil' in version && version.restoredUntil !== undefined;
  const object = { tenant: current.id.tenant, modality: current.modality, size: version.size };
  return deleted(object, tier, version.storageClassChangedAt ?? version.ingestedAt, at, restored);
}

/**
 * Removes the items of earlier versions whose bytes were deleted, each with its usage counters
 * in one transaction (an item already gone counts nothing). Versions listed on legacy items
 * have no item and were never counted.
 */
export async function deleteVersionEntries(current: InstanceRecord, versions: (InstanceVersion & { itemKey?: { pk: string; sk: string } })[], at: string): Promise<void> {
  const TableName = config.indexTable();
  for (const version of versions) {
    if (!version.itemKey) continue;
    try {
      await db().send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName, Key: version.itemKey, ConditionExpression: 'attribute_exists(pk)' } },
            ...usageActions(deletedUsage(current, version, at), current.id.study),
          ],
        }),
      );
    } catch (error) {
      if (!(cancelled(error) && refusedAt(error, 0))) throw error;
    }
  }
}

/**
 * Removes a series summary whose count says it is empty, and counts it out of the study
 * (taking its modality out of ModalitiesInStudy if no other series has it). Returns false, and
 * changes nothing, if the series gained an instance meanwhile (a concurrent STOW) or the
 * study's series count is already too low to drop (drift, for the reconciliation).
 */
export async function deleteSeriesEntry(tenant: string, study: string, series: string, remainingModalities: Set<string>, modality: string): Promise<boolean> {
  const TableName = config.indexTable();
  const removeModality = modality && !remainingModalities.has(modality);
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName, Key: Keys.series(tenant, study, series), ConditionExpression: 'nInstances = :zero', ExpressionAttributeValues: { ':zero': 0 } } },
          {
            Update: {
              TableName,
              Key: Keys.study(tenant, study),
              UpdateExpression: `ADD nSeries :minus${removeModality ? ' DELETE modalities :modality' : ''}`,
              ConditionExpression: 'nSeries >= :one',
              ExpressionAttributeValues: { ':minus': -1, ':one': 1, ...(removeModality ? { ':modality': new Set([modality]) } : {}) },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (cancelled(error)) return false;
    throw error;
  }
}

/**
 * Removes the study summary and its name tokens, in one transaction, if its counts say it is
 * empty; false if a STOW added to it meanwhile (or its counts drifted), changing nothing.
 */
export async function deleteStudyEntry(tenant: string, study: string, tokens: string[]): Promise<boolean> {
  const TableName = config.indexTable();
  // Name-token keys are known from the name: absent ones are no-ops.
  const [first, rest] = [tokens.slice(0, MAX_TOKENS_WITH_STUDY), tokens.slice(MAX_TOKENS_WITH_STUDY)];
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName,
              Key: Keys.study(tenant, study),
              ConditionExpression: 'nInstances = :zero AND nSeries = :zero',
              ExpressionAttributeValues: { ':zero': 0 },
            },
          },
          ...first.map((token) => ({ Delete: { TableName, Key: Keys.nameToken(tenant, token, study) } })),
        ],
      }),
    );
  } catch (error) {
    if (cancelled(error)) return false;
    throw error;
  }
  await deleteItems(rest.map((token) => Keys.nameToken(tenant, token, study)));
  return true;
}

const MAX_TOKENS_WITH_STUDY = 99; // TransactWriteItems takes 100 actions

export async function putTombstone(level: DeletedLevel, id: ResourceScope, at: string): Promise<void> {
  await db().send(
    new PutCommand({
      TableName: config.indexTable(),
      Item: { ...Keys.tombstone(id.tenant, id.study, id.series, id.sop), type: 'tombstone', level, deletedAt: at },
    }),
  );
}

/** Whether the study, the series or the instance was deleted (one BatchGetItem). */
export async function wasDeleted(id: ResourceScope): Promise<boolean> {
  const keys = [Keys.tombstone(id.tenant, id.study)];
  if (id.series) keys.push(Keys.tombstone(id.tenant, id.study, id.series));
  if (id.series && id.sop) keys.push(Keys.tombstone(id.tenant, id.study, id.series, id.sop));
  const result = await db().send(new BatchGetCommand({ RequestItems: { [config.indexTable()]: { Keys: keys, ProjectionExpression: 'pk' } } }));
  return (result.Responses?.[config.indexTable()]?.length ?? 0) > 0;
}

/** When the instance, its series or its study was last deleted, if ever (one BatchGetItem). */
export async function lastDeletedAt(id: Required<ResourceScope>): Promise<string | undefined> {
  const keys = [Keys.tombstone(id.tenant, id.study), Keys.tombstone(id.tenant, id.study, id.series), Keys.tombstone(id.tenant, id.study, id.series, id.sop)];
  const result = await db().send(
    new BatchGetCommand({ RequestItems: { [config.indexTable()]: { Keys: keys, ProjectionExpression: 'deletedAt', ConsistentRead: true } } }),
  );
  return (result.Responses?.[config.indexTable()] ?? []).map((item) => String(item.deletedAt)).sort().at(-1);
}

export async function deleteItems(keys: { pk: string; sk: string }[]): Promise<void> {
  for (const key of keys) await db().send(new DeleteCommand({ TableName: config.indexTable(), Key: key }));
}
