/**
 * The audit table (docs/audit.md): append-only. The only write is a PutItem conditional on the
 * key being new, so a record, once written, is never replaced by this code, and no function is
 * granted UpdateItem, DeleteItem or BatchWriteItem on the table.
 */
import { PutCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { AuditKeys, auditItemKeys } from '#core/audit/keys.ts';
import type { SealedAuditRecord } from '#core/audit/hash-chain.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';

const KEY_ATTRIBUTES = ['pk', 'sk', 'patientKey', 'patientTime', 'clientKey', 'clientTime', 'dayKey', 'dayTime'];

/** The last record of a chain shard (strongly consistent: the next append links to it). */
export async function chainHead(tenant: string, shard: number): Promise<{ seq: number; hash: string } | undefined> {
  const result = await documentClient().send(
    new QueryCommand({
      TableName: config.auditTable(),
      KeyConditionExpression: 'pk = :chain',
      ExpressionAttributeValues: { ':chain': AuditKeys.chain(tenant, shard) },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
      ProjectionExpression: 'seq, #hash',
      ExpressionAttributeNames: { '#hash': 'hash' },
    }),
  );
  const item = result.Items?.[0];
  return item ? { seq: Number(item.seq), hash: String(item.hash) } : undefined;
}

/** Appends a sealed record; false when another writer already took its sequence number. */
export async function appendRecord(record: SealedAuditRecord): Promise<boolean> {
  try {
    await documentClient().send(
      new PutCommand({
        TableName: config.auditTable(),
        Item: { ...record, ...auditItemKeys(record) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

export interface StoredRecord {
  readonly record: SealedAuditRecord;
  /** Whether the stored key attributes are the ones the record implies (moved or re-keyed items are not). */
  readonly keysIntact: boolean;
}

function stored(item: Record<string, unknown>): StoredRecord {
  const content: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) if (!KEY_ATTRIBUTES.includes(name)) content[name] = value;
  const record = content as unknown as SealedAuditRecord;
  let expected: Record<string, string>;
  try {
    expected = auditItemKeys(record);
  } catch {
    return { record, keysIntact: false };
  }
  const keysIntact = KEY_ATTRIBUTES.every((name) => item[name] === expected[name]);
  return { record, keysIntact };
}

/** Records of one chain shard after `afterSeq`, in sequence order, one page. */
export async function readChain(tenant: string, shard: number, afterSeq: number, limit: number): Promise<{ records: StoredRecord[]; more: boolean }> {
  const result = await documentClient().send(
    new QueryCommand({
      TableName: config.auditTable(),
      KeyConditionExpression: 'pk = :chain AND sk > :after',
      ExpressionAttributeValues: { ':chain': AuditKeys.chain(tenant, shard), ':after': AuditKeys.seq(afterSeq) },
      ConsistentRead: true,
      Limit: limit,
    }),
  );
  return { records: (result.Items ?? []).map(stored), more: result.LastEvaluatedKey !== undefined };
}

export interface IndexRange {
  readonly index: { name: string; partitionKey: string; sortKey: string };
  readonly partition: string;
  /** Inclusive bounds on the time order key. */
  readonly from: string;
  readonly to: string;
  /** Continue after this record (its base-table and index keys). */
  readonly after?: { pk: string; sk: string; timeOrder: string } | undefined;
  readonly limit: number;
}

/** One page of an index range in time order, oldest first; `more` when DynamoDB has further items. */
export async function queryIndexRange(range: IndexRange): Promise<{ records: SealedAuditRecord[]; more: boolean }> {
  const { index } = range;
  const input: QueryCommandInput = {
    TableName: config.auditTable(),
    IndexName: index.name,
    KeyConditionExpression: '#pk = :partition AND #sk BETWEEN :from AND :to',
    ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
    ExpressionAttributeValues: { ':partition': range.partition, ':from': range.from, ':to': range.to },
    Limit: range.limit,
    ...(range.after
      ? { ExclusiveStartKey: { pk: range.after.pk, sk: range.after.sk, [index.partitionKey]: range.partition, [index.sortKey]: range.after.timeOrder } }
      : {}),
  };
  const result = await documentClient().send(new QueryCommand(input));
  return { records: (result.Items ?? []).map((item) => stored(item).record), more: result.LastEvaluatedKey !== undefined };
}
