/**
 * The index table (docs/data-model.md): study, series and instance items in one table,
 * written together in DynamoDB transactions so the computed counts (NumberOfStudyRelated…)
 * never drift from the instances, and each instance is created exactly once.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Keys, type InstanceIdentity } from '#core/index-keys.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from './aws-clients.ts';
import { queryIndex, type ReadMeter } from './index-query.ts';
import { fromInstanceItem, type InstanceRecord, type InstanceVersion, type StoreOutcome } from './instance-items.ts';
import { chunks, groupBy, NAME_TOKEN_RESERVE, transactionItems } from './study-transaction.ts';

export type { InstanceRecord, InstanceVersion, StoreOutcome };
export { fromInstanceItem };

const MAX_ACTIONS = 100; // DynamoDB's limit per TransactWriteItems
const MAX_ATTEMPTS = 8; // transaction conflicts on a busy study are retried with jittered backoff

const db = documentClient;

export async function storeInstanceRecords(records: InstanceRecord[]): Promise<StoreOutcome> {
  const outcome: StoreOutcome = { created: [], unchanged: [], replaced: [] };
  // A transaction may touch an item once, so copies of one SOP Instance in a request go in
  // successive rounds (the later ones become versions of the first).
  for (const round of rounds(records)) {
    for (const group of groupBy(round, (r) => `${r.id.tenant}|${r.id.study}`).values()) {
      const reserved = 1 + new Set(group.map((r) => r.id.series)).size + NAME_TOKEN_RESERVE;
      for (const chunk of chunks(group, MAX_ACTIONS - reserved)) {
        const result = await storeStudyChunk(chunk);
        outcome.created.push(...result.created);
        outcome.unchanged.push(...result.unchanged);
        outcome.replaced.push(...result.replaced);
      }
    }
  }
  return outcome;
}

function rounds(records: InstanceRecord[]): InstanceRecord[][] {
  const result: InstanceRecord[][] = [];
  const seen = new Map<string, number>();
  for (const record of records) {
    const key = `${record.id.tenant}|${record.id.study}|${record.id.series}|${record.id.sop}`;
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    (result[round] ??= []).push(record);
  }
  return result;
}

/** One transaction: the new instances, their series (created or counted) and the study. */
async function storeStudyChunk(records: InstanceRecord[]): Promise<StoreOutcome> {
  const outcome: StoreOutcome = { created: [], unchanged: [], replaced: [] };
  let pending = records;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const knownSeries = await existingSeries(pending);
    const items = transactionItems(pending, knownSeries);
    try {
      await db().send(new TransactWriteCommand({ TransactItems: items.actions }));
      outcome.created.push(...pending);
      return outcome;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException) || attempt >= MAX_ATTEMPTS) throw error;
      const reasons = error.CancellationReasons ?? [];
      const duplicates = new Set<InstanceRecord>();
      for (const [index, reason] of reasons.entries()) {
        const record = items.instanceAt.get(index);
        if (record && reason.Code === 'ConditionalCheckFailed') duplicates.add(record);
      }
      const settled = new Set<InstanceRecord>();
      for (const record of duplicates) {
        const result = await settleExisting(record);
        if (result === undefined) continue; // deleted meanwhile: create it on the next attempt
        if (result === 'unchanged') outcome.unchanged.push(record);
        else outcome.replaced.push({ record, previous: result });
        settled.add(record);
      }
      pending = pending.filter((record) => !settled.has(record));
      // Other reasons (a series created concurrently, a transaction conflict): back off and re-plan.
      if (duplicates.size === 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt * Math.random()));
    }
  }
  return outcome;
}

/**
 * An instance that is already indexed: the same bytes change nothing; other bytes become the
 * current version and the previous one is kept in the item's version history (its object is
 * never deleted). Returns the replaced version, 'unchanged', or undefined if the item vanished.
 */
async function settleExisting(record: InstanceRecord): Promise<InstanceRecord | 'unchanged' | undefined> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await getInstanceRecord(record.id);
    if (!stored) return undefined;
    if (stored.sha256 === record.sha256) return 'unchanged';
    const previous: InstanceVersion = {
      sha256: stored.sha256,
      objectKey: stored.objectKey,
      size: stored.size,
      transferSyntaxUID: stored.transferSyntaxUID,
      ingestedAt: stored.ingestedAt,
    };
    try {
      await db().send(
        new UpdateCommand({
          TableName: config.indexTable(),
          Key: Keys.instance(record.id),
          UpdateExpression:
            'SET sha256 = :sha, objectKey = :key, #size = :size, transferSyntaxUID = :ts, storageClass = :class, ' +
            'ingestedAt = :at, dicom = :dicom, previousVersions = list_append(if_not_exists(previousVersions, :none), :previous), frames = :frames',
          ConditionExpression: 'sha256 = :expected',
          ExpressionAttributeNames: { '#size': 'size' },
          ExpressionAttributeValues: {
            ':sha': record.sha256,
            ':key': record.objectKey,
            ':size': record.size,
            ':ts': record.transferSyntaxUID,
            ':class': record.storageClass,
            ':at': record.ingestedAt,
            ':dicom': JSON.stringify(record.instance),
            ':frames': record.frameRanges ?? null,
            ':none': [],
            ':previous': [previous],
            ':expected': stored.sha256,
          },
        }),
      );
      return stored;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }
  throw new Error('an instance kept changing while a new version was stored'); // logged: no UID
}

async function existingSeries(records: InstanceRecord[]): Promise<Set<string>> {
  const { tenant, study } = records[0]!.id;
  const found = new Set<string>();
  for (const series of new Set(records.map((r) => r.id.series))) {
    const item = await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.series(tenant, study, series), ProjectionExpression: 'pk' }));
    if (item.Item) found.add(series);
  }
  return found;
}

export async function getInstanceRecord(id: InstanceIdentity): Promise<InstanceRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.instance(id), ConsistentRead: true }));
  return result.Item ? fromInstanceItem(result.Item, id) : undefined;
}

/** Instances of a study, or of one of its series, in UID order (one Query on the study partition). */
export async function listInstanceRecords(tenant: string, study: string, series?: string, meter?: ReadMeter): Promise<InstanceRecord[]> {
  const records: InstanceRecord[] = [];
  for await (const item of queryIndex(
    {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': Keys.study(tenant, study).pk, ':prefix': series ? Keys.instancesOfSeriesPrefix(series) : Keys.instancesOfStudyPrefix },
    },
    meter,
  )) {
    const [, seriesUid, sop] = String(item.sk).split('#');
    records.push(fromInstanceItem(item, { tenant, study, series: seriesUid!, sop: sop! }));
  }
  return records;
}

/**
 * Records the storage class S3 reports after a lifecycle transition, if the object is the
 * instance's current version (older versions move tiers without changing what is served).
 */
export async function setInstanceStorageClass(id: InstanceIdentity, sha256: string, storageClass: string, at: string): Promise<boolean> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: config.indexTable(),
        Key: Keys.instance(id),
        UpdateExpression: 'SET storageClass = :c, storageClassChangedAt = :at',
        ConditionExpression: 'sha256 = :sha',
        ExpressionAttributeValues: { ':c': storageClass, ':at': at, ':sha': sha256 },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/** A cheap read that proves the table is reachable. */
export async function pingIndex(): Promise<void> {
  await db().send(new GetCommand({ TableName: config.indexTable(), Key: { pk: 'HEALTH', sk: 'HEALTH' } }));
}

