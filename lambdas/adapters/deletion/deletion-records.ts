/**
 * Deletion records in the index (docs/deletion.md): one item per deletion on its own partition,
 * read by key; while under way it also sits in its tenant's GSI3 partition `…#DELETING`, which
 * the index maintenance reads to resume stalled ones — a sparse index, so finished deletions
 * cost that Query nothing.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Keys } from '#core/index-keys.ts';
import type { Deletion, DeletionProgress, DeletionStatus } from '#core/deletion/deletion.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { queryIndex } from '#adapters/index-query.ts';

const db = documentClient;

function fromItem(item: Record<string, unknown>): Deletion {
  const { pk: _pk, sk: _sk, gsi3pk: _g, gsi3sk: _s, tenant: _t, ...deletion } = item;
  return deletion as unknown as Deletion;
}

/** Written before anything is deleted, so a crash can never leave a deletion nobody knows of. */
export async function putDeletion(tenant: string, deletion: Deletion): Promise<void> {
  await db().send(
    new PutCommand({
      TableName: config.indexTable(),
      Item: { ...Keys.deletion(tenant, deletion.id), gsi3pk: Keys.deletionsUnderWay(tenant), gsi3sk: `${deletion.requestedAt}#${deletion.id}`, tenant, ...deletion },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function getDeletion(tenant: string, id: string): Promise<Deletion | undefined> {
  const result = await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.deletion(tenant, id), ConsistentRead: true }));
  return result.Item ? fromItem(result.Item) : undefined;
}

/** Records how far it got; finished (`status` given), it leaves the partition of deletions under way. */
export async function recordProgress(tenant: string, id: string, progress: DeletionProgress, at: string, finished?: DeletionStatus): Promise<void> {
  await db().send(
    new UpdateCommand({
      TableName: config.indexTable(),
      Key: Keys.deletion(tenant, id),
      UpdateExpression: finished
        ? 'SET progress = :p, updatedAt = :at, #status = :s, finishedAt = :at REMOVE gsi3pk, gsi3sk'
        : 'SET progress = :p, updatedAt = :at',
      ExpressionAttributeValues: { ':p': progress, ':at': at, ...(finished ? { ':s': finished } : {}) },
      ...(finished ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
    }),
  );
}

/** Counts a workflow execution started for it (its name's suffix), and marks it as being worked on. */
export async function recordAttempt(tenant: string, id: string, at: string): Promise<number> {
  const result = await db().send(
    new UpdateCommand({
      TableName: config.indexTable(),
      Key: Keys.deletion(tenant, id),
      UpdateExpression: 'ADD attempts :one SET updatedAt = :at',
      ExpressionAttributeValues: { ':one': 1, ':at': at },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(result.Attributes?.attempts);
}

/** A tenant's deletions under way, oldest first. */
export async function* deletionsUnderWay(tenant: string): AsyncGenerator<Deletion> {
  for await (const item of queryIndex({ IndexName: 'gsi3', KeyConditionExpression: 'gsi3pk = :pk', ExpressionAttributeValues: { ':pk': Keys.deletionsUnderWay(tenant) } })) {
    yield fromItem(item);
  }
}
