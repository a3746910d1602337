/**
 * Holds in the index table (docs/legal-hold.md): the hold items of a tenant's holds partition,
 * the registrations (held study / patient / accession → set of hold ids) read by key, and
 * the per-instance set of covering holds. Every access is a GetItem, BatchGetItem, Query or
 * UpdateItem on a designed key; set updates (ADD/DELETE) make every write idempotent.
 */
import { BatchGetCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { instanceOfSortKey, Keys, type InstanceIdentity } from '#core/index-keys.ts';
import { decodeHeldSubject, encodeHeldSubject, type HeldSubject, type Hold, type HoldProgress } from '#core/holds/hold.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { queryIndex } from '#adapters/index-query.ts';
import { appliedIf, conditionFailed } from '#adapters/conditional-write.ts';

type Key = { pk: string; sk: string };
const db = documentClient;

function toHold(item: Record<string, unknown>): Hold {
  const { pk: _pk, sk: _sk, studies, subjects, ledgerRevision: _revision, ...rest } = item;
  return {
    ...(rest as unknown as Omit<Hold, 'studies' | 'subjects'>),
    studies: [...((studies as Set<string> | undefined) ?? [])].sort(),
    ...(subjects ? { subjects: [...(subjects as Set<string>)].sort().map(decodeHeldSubject) } : {}),
  };
}

/**
 * Creates the hold item (conditional: an id is never reused; false when it exists). A rebuild
 * passes the revision its hold-ledger record had, so later records keep counting up from it.
 */
export async function putHold(hold: Hold, ledgerRevision?: number): Promise<boolean> {
  const { studies, subjects, ...rest } = hold;
  return db().send(
    new PutCommand({
      TableName: config.indexTable(),
      Item: {
        ...Keys.hold(hold.tenant, hold.id),
        type: 'hold',
        ...rest,
        ...(studies.length ? { studies: new Set(studies) } : {}),
        ...(subjects?.length ? { subjects: new Set(subjects.map(encodeHeldSubject)) } : {}),
        ...(ledgerRevision === undefined ? {} : { ledgerRevision }),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  ).then(
    () => true,
    (error: Error) => {
      if (ledgerRevision === undefined || error.name !== 'ConditionalCheckFailedException') throw error;
      return false;
    },
  );
}

/**
 * The hold as it is now with a new ledger revision (one UpdateItem, ADD: two writers never get
 * the same revision, and the later revision saw the later item); undefined when there is no hold.
 */
export async function nextLedgerRevision(tenant: string, id: string): Promise<{ hold: Hold; revision: number } | undefined> {
  try {
    const { Attributes: item } = await db().send(
      new UpdateCommand({
        TableName: config.indexTable(),
        Key: Keys.hold(tenant, id),
        UpdateExpression: 'ADD ledgerRevision :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return item ? { hold: toHold(item), revision: Number(item.ledgerRevision) } : undefined;
  } catch (error) {
    if (conditionFailed(error)) return undefined;
    throw error;
  }
}

/** Notes an object as counted into a hold (a rebuild: the objects of an active hold were counted when it was placed). */
export async function markCounted(tenant: string, holdId: string, objectKey: string): Promise<void> {
  await db().send(new PutCommand({ TableName: config.indexTable(), Item: { ...Keys.holdCounted(tenant, holdId, objectKey), type: 'holdCounted' } }));
}

export async function getHold(tenant: string, id: string): Promise<Hold | undefined> {
  const result = await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.hold(tenant, id), ConsistentRead: true }));
  return result.Item ? toHold(result.Item) : undefined;
}

/** A tenant's holds, oldest first (one Query on its holds partition). */
export async function listHolds(tenant: string): Promise<Hold[]> {
  const holds: Hold[] = [];
  for await (const item of queryIndex({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': Keys.holdsOfTenant(tenant), ':prefix': Keys.holdsPrefix },
  })) {
    holds.push(toHold(item));
  }
  return holds.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Marks a hold released (once: a second release changes nothing and answers false). */
export async function markHoldReleased(tenant: string, id: string, at: string, by: string, progress: HoldProgress): Promise<boolean> {
  return appliedIf(
    db().send(
      new UpdateCommand({
        TableName: config.indexTable(),
        Key: Keys.hold(tenant, id),
        UpdateExpression: 'SET #status = :released, releasedAt = :at, releasedBy = :by, progress = :progress',
        ConditionExpression: '#status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':released': 'released', ':active': 'active', ':at': at, ':by': by, ':progress': progress },
      }),
    ),
  );
}

/** Adds one batch's counts to the hold's progress (the Map's steps report as they go). */
export async function addHoldProgress(tenant: string, id: string, done: Omit<HoldProgress, 's3'>): Promise<void> {
  await db().send(
    new UpdateCommand({
      TableName: config.indexTable(),
      Key: Keys.hold(tenant, id),
      UpdateExpression: 'ADD progress.studiesDone :s, progress.instances :i, progress.bytes :b, progress.objectVersions :v',
      ExpressionAttributeValues: { ':s': done.studiesDone, ':i': done.instances, ':b': done.bytes, ':v': done.objectVersions },
    }),
  );
}

export async function setHoldS3State(tenant: string, id: string, s3: HoldProgress['s3']): Promise<void> {
  await db().send(
    new UpdateCommand({
      TableName: config.indexTable(),
      Key: Keys.hold(tenant, id),
      UpdateExpression: 'SET progress.s3 = :s3',
      ExpressionAttributeValues: { ':s3': s3 },
    }),
  );
}

/**
 * A study held at ingest joins the hold it arrived under: its list, its patient (the audit's
 * subjects) and `studiesDone`, in one UpdateItem conditional on the study being new to the hold,
 * so a duplicate push or a retry counts it once.
 */
export async function joinHold(tenant: string, id: string, subject: HeldSubject): Promise<void> {
  await appliedIf(
    db().send(
      new UpdateCommand({
        TableName: config.indexTable(),
        Key: Keys.hold(tenant, id),
        UpdateExpression: 'ADD studies :s, subjects :p, progress.studiesDone :one',
        ConditionExpression: 'attribute_exists(pk) AND NOT contains(studies, :study)',
        ExpressionAttributeValues: { ':s': new Set([subject.study]), ':p': new Set([encodeHeldSubject(subject)]), ':one': 1, ':study': subject.study },
      }),
    ),
  );
}

/**
 * Counts one held object (its versions, bytes, and the instance when `instances` is 1) into the
 * hold's progress, once per object key: a marker item conditional on being new, in one
 * transaction with the counts. The workflow and ingest both count through it, so neither a
 * duplicate push, a retried batch, nor an arrival while the workflow runs counts an object twice.
 * False when it was counted before.
 */
export async function countHeldObject(tenant: string, holdId: string, objectKey: string, counts: { instances: number; bytes: number; objectVersions: number }): Promise<boolean> {
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: config.indexTable(), Item: { ...Keys.holdCounted(tenant, holdId, objectKey), type: 'holdCounted' }, ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Update: {
              TableName: config.indexTable(),
              Key: Keys.hold(tenant, holdId),
              UpdateExpression: 'ADD progress.instances :i, progress.bytes :b, progress.objectVersions :v',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':i': counts.instances, ':b': counts.bytes, ':v': counts.objectVersions },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    if ((error as Error).name === 'TransactionCanceledException' && reasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
    throw error;
  }
}

/** Adds (or removes) a hold id to a registration's set; the item goes when its set empties (DynamoDB drops empty sets). */
export async function setRegistration(key: Key, holdId: string, on: boolean): Promise<void> {
  await db().send(
    new UpdateCommand({
      TableName: config.indexTable(),
      Key: key,
      UpdateExpression: `${on ? 'ADD' : 'DELETE'} holds :h`,
      ExpressionAttributeValues: { ':h': new Set([holdId]) },
    }),
  );
}

/** The hold ids registered on each key (one BatchGetItem; absent keys have none). */
export async function registeredHolds(keys: Key[]): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  const TableName = config.indexTable();
  let request: Record<string, { Keys: Key[]; ProjectionExpression: string; ConsistentRead: boolean }> | undefined = {
    [TableName]: { Keys: dedupe(keys), ProjectionExpression: 'pk, holds', ConsistentRead: true },
  };
  if (!keys.length) return found;
  while (request && Object.keys(request).length) {
    const result = await db().send(new BatchGetCommand({ RequestItems: request }));
    for (const item of result.Responses?.[TableName] ?? []) found.set(String(item.pk), [...((item.holds as Set<string> | undefined) ?? [])]);
    request = result.UnprocessedKeys as typeof request;
  }
  return found;
}

const dedupe = (keys: Key[]) => [...new Map(keys.map((k) => [`${k.pk}|${k.sk}`, k])).values()];

/** Adds a hold to an instance's set of covering holds. */
export async function markInstance(id: InstanceIdentity, holdId: string): Promise<void> {
  await db().send(
    new UpdateCommand({
      TableName: config.indexTable(),
      Key: Keys.instance(id),
      UpdateExpression: 'ADD holds :h',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':h': new Set([holdId]) },
    }),
  ).catch((error: Error) => {
    if (error.name !== 'ConditionalCheckFailedException') throw error; // deleted meanwhile: nothing to mark
  });
}

/** Removes a hold from an instance's set; returns the holds that still cover it. */
export async function unmarkInstance(id: InstanceIdentity, holdId: string): Promise<string[]> {
  const result = await db().send(
    new UpdateCommand({
      TableName: config.indexTable(),
      Key: Keys.instance(id),
      UpdateExpression: 'DELETE holds :h',
      ExpressionAttributeValues: { ':h': new Set([holdId]) },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return [...((result.Attributes?.holds as Set<string> | undefined) ?? [])];
}

/** The holds currently marked on an instance (consistent read). */
export async function instanceHolds(id: InstanceIdentity): Promise<string[]> {
  const result = await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.instance(id), ProjectionExpression: 'holds', ConsistentRead: true }));
  return [...((result.Item?.holds as Set<string> | undefined) ?? [])];
}

/** What the hold workflow needs of a study's instances: identity, each Strata version's object key and size (current first). */
export interface HeldInstance {
  id: InstanceIdentity;
  versions: { objectKey: string; bytes: number }[];
  /** All versions' bytes. */
  bytes: number;
}

export async function instancesToHold(tenant: string, study: string): Promise<HeldInstance[]> {
  const pk = Keys.study(tenant, study).pk;
  const bySk = new Map<string, HeldInstance>();
  for await (const item of queryIndex({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': pk, ':prefix': Keys.instancesOfStudyPrefix },
    ProjectionExpression: 'sk, objectKey, #size',
    ExpressionAttributeNames: { '#size': 'size' },
    ConsistentRead: true,
  })) {
    const { series, sop } = instanceOfSortKey(String(item.sk));
    const bytes = Number(item.size ?? 0);
    bySk.set(`${series}#${sop}`, { id: { tenant, study, series, sop }, versions: [{ objectKey: String(item.objectKey), bytes }], bytes });
  }
  // Earlier versions of each instance (VER#<series>#<sop>#<sha256>) are held too.
  for await (const item of queryIndex({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': pk, ':prefix': Keys.versionsOfStudyPrefix },
    ProjectionExpression: 'sk, objectKey, #size',
    ExpressionAttributeNames: { '#size': 'size' },
    ConsistentRead: true,
  })) {
    const { series, sop } = instanceOfSortKey(String(item.sk));
    const instance = bySk.get(`${series}#${sop}`);
    if (instance) {
      instance.versions.push({ objectKey: String(item.objectKey), bytes: Number(item.size ?? 0) });
      instance.bytes += Number(item.size ?? 0);
    }
  }
  return [...bySk.values()];
}
