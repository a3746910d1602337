/**
 * Restore records in the index (one item per study, `RESTORE` on the study partition; GSI3
 * lists a tenant's restores newest first). Every write is conditional on the state it was
 * decided from, so two requests racing to start a restore start exactly one.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Keys } from '#core/index-keys.ts';
import type { RestoreRecord, RestoreStatus } from '#core/restores/restore-record.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { queryIndex } from '#adapters/index-query.ts';

const db = documentClient;

const isConditionFailure = (error: unknown) => (error as Error).name === 'ConditionalCheckFailedException';

export function restoreItem(record: RestoreRecord): Record<string, unknown> {
  return {
    ...Keys.restore(record.tenant, record.study),
    gsi3pk: Keys.restoresOfTenant(record.tenant),
    gsi3sk: `${record.requestedAt}#${record.study}`,
    ...record,
  };
}

export function fromRestoreItem(item: Record<string, unknown>): RestoreRecord {
  const { pk: _pk, sk: _sk, gsi3pk: _g, gsi3sk: _s, ...record } = item;
  return record as unknown as RestoreRecord;
}

export async function getRestoreRecord(tenant: string, study: string): Promise<RestoreRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.restore(tenant, study), ConsistentRead: true }));
  return result.Item ? fromRestoreItem(result.Item) : undefined;
}

/**
 * Writes `record` as the study's restore if the item is still `replacing` (none, or that round
 * in that status); false when another request got there first.
 */
export async function putRestoreRecord(record: RestoreRecord, replacing: Pick<RestoreRecord, 'round' | 'status'> | undefined): Promise<boolean> {
  try {
    await db().send(
      new PutCommand({
        TableName: config.indexTable(),
        Item: restoreItem(record),
        ...(replacing
          ? {
              ConditionExpression: '#round = :round AND #status = :status',
              ExpressionAttributeNames: { '#round': 'round', '#status': 'status' },
              ExpressionAttributeValues: { ':round': replacing.round, ':status': replacing.status },
            }
          : { ConditionExpression: 'attribute_not_exists(pk)' }),
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Moves a round from IN_PROGRESS to `status`; false when it already left IN_PROGRESS (someone else finished it). */
export async function finishRestore(tenant: string, study: string, round: number, status: Exclude<RestoreStatus, 'IN_PROGRESS'>, at: string, extra: { failed?: number } = {}): Promise<boolean> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: config.indexTable(),
        Key: Keys.restore(tenant, study),
        UpdateExpression: `SET #status = :status, completedAt = :at${extra.failed === undefined ? '' : ', failed = :failed'}`,
        ConditionExpression: '#round = :round AND #status = :inProgress',
        ExpressionAttributeNames: { '#round': 'round', '#status': 'status' },
        ExpressionAttributeValues: { ':status': status, ':at': at, ':round': round, ':inProgress': 'IN_PROGRESS', ...(extra.failed === undefined ? {} : { ':failed': extra.failed }) },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** A tenant's restores, newest first (GSI3), at most `limit`. */
export async function listRestoreRecords(tenant: string, limit: number): Promise<RestoreRecord[]> {
  const records: RestoreRecord[] = [];
  for await (const item of queryIndex({
    IndexName: 'gsi3',
    KeyConditionExpression: 'gsi3pk = :pk',
    ExpressionAttributeValues: { ':pk': Keys.restoresOfTenant(tenant) },
    ScanIndexForward: false,
    Limit: Math.min(limit, 100),
  })) {
    records.push(fromRestoreItem(item));
    if (records.length >= limit) break;
  }
  return records;
}
