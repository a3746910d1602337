/**
 * The index table (docs/data-model.md): study, series and instance items in one table,
 * written together in DynamoDB transactions so the computed counts (NumberOfStudyRelated…)
 * never drift from the instances, and each instance is created exactly once.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { instanceOfSortKey, Keys, type InstanceIdentity } from '#core/index-keys.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from './aws-clients.ts';
import { instanceItemsOf, type ReadMeter } from './index-query.ts';
import { fromInstanceItem, type InstanceRecord, type InstanceVersion, type StoreOutcome } from './instance-items.ts';
import { chunks, groupBy, NAME_TOKEN_RESERVE, transactionItems } from './study-transaction.ts';
import { isEarlierVersion, listEarlierVersions, putEarlierVersion, replaceCurrentVersion } from './instance-versions.ts';

export type { InstanceRecord, InstanceVersion, StoreOutcome };
export { fromInstanceItem, listEarlierVersions };

const MAX_ACTIONS = 100; // DynamoDB's limit per TransactWriteItems
const MAX_ATTEMPTS = 8; // transaction conflicts on a busy study are retried with jittered backoff

const db = documentClient;

/**
 * Indexes stored objects and says exactly what happened to each: created, unchanged, made the
 * current version, kept as an earlier version, or failed (nothing indexed for it; its bytes
 * stay in S3, where the orphan sweeper finds them). Never throws for the batch: a failure
 * touches only the records it concerns, so no response can hide a change that was made.
 */
export async function storeInstanceRecords(records: InstanceRecord[]): Promise<StoreOutcome> {
  const outcome: StoreOutcome = { created: [], unchanged: [], replaced: [], kept: [], failed: [] };
  // A transaction may touch an item once, so copies of one SOP Instance in a request go in
  // successive rounds (the later ones become versions of the first).
  for (const round of rounds(records)) {
    for (const group of groupBy(round, (r) => `${r.id.tenant}|${r.id.study}`).values()) {
      const reserved = 1 + new Set(group.map((r) => r.id.series)).size + NAME_TOKEN_RESERVE;
      for (const chunk of chunks(group, MAX_ACTIONS - reserved)) await storeStudyChunk(chunk, outcome);
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
async function storeStudyChunk(records: InstanceRecord[], outcome: StoreOutcome): Promise<void> {
  let pending = records;
  try {
    for (let attempt = 1; pending.length > 0; attempt++) {
      const knownSeries = await existingSeries(pending);
      const items = transactionItems(pending, knownSeries);
      try {
        await db().send(new TransactWriteCommand({ TransactItems: items.actions }));
        outcome.created.push(...pending);
        return;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException) || attempt >= MAX_ATTEMPTS) throw error;
        const existing = new Set<InstanceRecord>();
        const refused = new Set<InstanceRecord>();
        for (const [index, reason] of (error.CancellationReasons ?? []).entries()) {
          const record = items.instanceAt.get(index);
          if (record && reason.Code === 'ConditionalCheckFailed') existing.add(record);
          else if (record && reason.Code === 'ValidationError') refused.add(record);
        }
        for (const record of refused) outcome.failed.push({ record, error: new Error(`the index refused the instance item: ${reasonOf(error, items.instanceAt, record)}`) });
        const settled = new Set<InstanceRecord>(refused);
        for (const record of existing) {
          try {
            if (await settleExisting(record, outcome)) settled.add(record);
          } catch (failure) {
            outcome.failed.push({ record, error: failure as Error });
            settled.add(record);
          }
        }
        pending = pending.filter((record) => !settled.has(record));
        // Other reasons (a series created concurrently, a transaction conflict): back off and re-plan.
        if (settled.size === 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt * Math.random()));
      }
    }
  } catch (error) {
    // The transaction is all-or-nothing: none of the pending records was indexed.
    for (const record of pending) outcome.failed.push({ record, error: error as Error });
  }
}

function reasonOf(error: TransactionCanceledException, instanceAt: Map<number, InstanceRecord>, record: InstanceRecord): string {
  const index = [...instanceAt].find(([, r]) => r === record)?.[0];
  return (index === undefined ? undefined : error.CancellationReasons?.[index]?.Message) ?? 'ValidationError';
}

/**
 * An instance that is already indexed (docs/decisions/0002-instance-versions.md): the same
 * bytes change nothing; other bytes become the current version, the replaced one kept as an
 * earlier version — unless they were ingested before the current one (an object the orphan
 * sweeper found late), which are kept as an earlier version. Records the outcome and returns
 * true, or false if the instance vanished (deleted meanwhile: create it on the next attempt).
 */
async function settleExisting(record: InstanceRecord, outcome: StoreOutcome): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await getInstanceRecord(record.id);
    if (!current) return false;
    if (current.sha256 === record.sha256) {
      outcome.unchanged.push(record);
      return true;
    }
    if (record.ingestedAt < current.ingestedAt) {
      if (!(await isEarlierVersion(current, record.sha256))) await putEarlierVersion(record);
      outcome.kept.push({ record, current });
      return true;
    }
    if (await replaceCurrentVersion(record, current)) {
      outcome.replaced.push({ record, previous: current });
      return true;
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
  for await (const item of instanceItemsOf(tenant, study, series, {}, meter)) {
    records.push(fromInstanceItem(item, { tenant, study, ...instanceOfSortKey(String(item.sk)) }));
  }
  return records;
}

/** A cheap read that proves the table is reachable. */
export async function pingIndex(): Promise<void> {
  await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.health }));
}

