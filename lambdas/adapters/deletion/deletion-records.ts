/**
 * Deletion records in the index (docs/deletion.md): one item per deletion on its own partition,
 * read by key; while under way it also sits in its tenant's GSI3 partition `…#DELETING`, which
 * the index maintenance reads to resume stalled ones — a sparse index, so finished deletions
 * cost that Query nothing.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Keys } from '#core/index-keys.ts';
import { DeletionSuperseded, type Deletion, type DeletionProgress, type DeletionStatus } from '#core/deletion/deletion.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { queryIndex } from '#adapters/index-query.ts';

const db = documentClient;

/** Progress once at least one instance is handled: it has a cursor. */
export type HandledProgress = DeletionProgress & { after: string };

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

/** Where a worker saves to: the deletion, and the cursor it started from (undefined: none yet). */
export interface ProgressTarget {
  tenant: string;
  id: string;
  from: string | undefined;
}

/** Only the worker whose cursor is still the deletion's may move it on, and only while it is under way. */
const stillOurs = (from: string | undefined) => ({
  ConditionExpression: `#status = :deleting AND ${from === undefined ? 'attribute_not_exists(#p.#after)' : '#p.#after = :from'}`,
  names: { '#p': 'progress', '#after': 'after', '#status': 'status' },
  values: { ':deleting': 'DELETING', ...(from === undefined ? {} : { ':from': from }) },
});

/**
 * How far a worker got, as one update of the deletion item: the cursor, the instances kept, and
 * `removed` more deleted. Conditional on the cursor the worker started from, so of two workers
 * (a step mistaken for stalled, and the execution that resumed it) only one moves it on; and
 * written in the transaction that removes those instances' entries (deletion-store.ts), so a
 * crash can never lose a count: entries gone are counted, entries counted are gone.
 */
export function progressUpdate(target: ProgressTarget, progress: Omit<HandledProgress, 'deleted'>, removed: number, at: string) {
  const condition = stillOurs(target.from);
  return {
    TableName: config.indexTable(),
    Key: Keys.deletion(target.tenant, target.id),
    UpdateExpression: 'SET #p.#after = :after, #p.kept = :kept, #p.countsDrifted = :drift, #p.deleted = #p.deleted + :removed, updatedAt = :at',
    ConditionExpression: condition.ConditionExpression,
    ExpressionAttributeNames: condition.names,
    ExpressionAttributeValues: { ':after': progress.after, ':kept': progress.kept, ':drift': progress.countsDrifted, ':removed': removed, ':at': at, ...condition.values },
  };
}

/** Saves progress that removed no entries (instances kept, or entries another worker removed). */
export async function saveProgress(target: ProgressTarget, progress: Omit<HandledProgress, 'deleted'>, at: string): Promise<void> {
  await superseding(target.id, db().send(new UpdateCommand(progressUpdate(target, progress, 0, at))));
}

/**
 * Records the outcome. The deletion stays among those under way, flagged `auditPending`, until
 * its completion is in the audit trail (`markAudited`): a crash in between is resumed.
 */
export async function finishDeletion(target: ProgressTarget, status: DeletionStatus, at: string): Promise<void> {
  const condition = stillOurs(target.from);
  await superseding(
    target.id,
    db().send(
      new UpdateCommand({
        TableName: config.indexTable(),
        Key: Keys.deletion(target.tenant, target.id),
        UpdateExpression: 'SET #status = :status, finishedAt = :at, updatedAt = :at, auditPending = :true',
        ConditionExpression: condition.ConditionExpression,
        ExpressionAttributeNames: condition.names,
        ExpressionAttributeValues: { ':status': status, ':at': at, ':true': true, ...condition.values },
      }),
    ),
  );
}

/** Its completion is audited: it leaves the partition of deletions under way. */
export async function markAudited(tenant: string, id: string): Promise<void> {
  await db().send(
    new UpdateCommand({ TableName: config.indexTable(), Key: Keys.deletion(tenant, id), UpdateExpression: 'REMOVE gsi3pk, gsi3sk, auditPending' }),
  );
}

async function superseding(id: string, write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw new DeletionSuperseded(id);
    throw error;
  }
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
