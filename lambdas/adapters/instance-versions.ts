/**
 * Versions of an instance (docs/decisions/0002-instance-versions.md): the current version is
 * the instance item; every earlier one is its own item (`VER#<series>#<sop>#<sha256>`) on the
 * study partition, so history never grows the instance item towards DynamoDB's 400 KB limit.
 * Items written before versions had their own items keep a `previousVersions` list, read here
 * with the others.
 */
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ingested } from '#core/finance/usage.ts';
import { Keys, type InstanceIdentity } from '#core/index-keys.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from './aws-clients.ts';
import { usageActions } from './finance/usage-store.ts';
import { queryIndex } from './index-query.ts';
import type { InstanceRecord, InstanceVersion } from './instance-items.ts';

const db = documentClient;

const versionOf = (record: InstanceRecord): InstanceVersion => ({
  sha256: record.sha256,
  objectKey: record.objectKey,
  size: record.size,
  transferSyntaxUID: record.transferSyntaxUID,
  ingestedAt: record.ingestedAt,
  storageClass: record.storageClass,
  ...(record.storageClassChangedAt ? { storageClassChangedAt: record.storageClassChangedAt } : {}),
});

/** The usage counters of new bytes of `record` (docs/finance.md): the replaced or kept version stays counted where it is. */
const newBytesCounted = (record: InstanceRecord) =>
  usageActions(ingested({ tenant: record.id.tenant, modality: record.modality, size: record.size }, record.ingestedAt), record.id.study);

const versionItem = (id: InstanceIdentity, version: InstanceVersion) => ({ ...Keys.instanceVersion(id, version.sha256), type: 'version', ...version });

/**
 * Makes `record` the current version in place of `current` (whose sha256 must still be the
 * instance's), in one transaction: the replaced version gets its own item, and if the new
 * bytes were an earlier version, that item goes (the current version is never in history).
 * False if the instance changed meanwhile.
 */
export async function replaceCurrentVersion(record: InstanceRecord, current: InstanceRecord): Promise<boolean> {
  const TableName = config.indexTable();
  // Bytes already kept as an earlier version are already counted; the condition on their item
  // makes the transaction fail (and the caller re-read) if that changed meanwhile.
  const wasVersion = await versionItemExists(record.id, record.sha256);
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName, Item: versionItem(current.id, versionOf(current)) } },
          {
            Delete: {
              TableName,
              Key: Keys.instanceVersion(record.id, record.sha256),
              ConditionExpression: wasVersion ? 'attribute_exists(pk)' : 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName,
              Key: Keys.instance(record.id),
              UpdateExpression:
                'SET sha256 = :sha, objectKey = :key, #size = :size, transferSyntaxUID = :ts, storageClass = :class, ' +
                'ingestedAt = :at, dicom = :dicom, frames = :frames',
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
                ':expected': current.sha256,
              },
            },
          },
          ...(wasVersion ? [] : newBytesCounted(record)),
        ],
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'TransactionCanceledException') return false;
    throw error;
  }
}

/** Keeps `record` as an earlier version without touching the current one (idempotent: counted once). */
export async function putEarlierVersion(record: InstanceRecord): Promise<void> {
  const TableName = config.indexTable();
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName, Item: versionItem(record.id, versionOf(record)), ConditionExpression: 'attribute_not_exists(pk)' } },
          ...newBytesCounted(record),
        ],
      }),
    );
  } catch (error) {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    if ((error as Error).name === 'TransactionCanceledException' && reasons?.[0]?.Code === 'ConditionalCheckFailed') return; // already kept
    throw error;
  }
}

async function versionItemExists(id: InstanceIdentity, sha256: string): Promise<boolean> {
  const item = await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.instanceVersion(id, sha256), ProjectionExpression: 'pk', ConsistentRead: true }));
  return item.Item !== undefined;
}

/** Whether these bytes are a known earlier version of the instance (one GetItem, or the legacy list). */
export async function isEarlierVersion(current: InstanceRecord, sha256: string): Promise<boolean> {
  if (current.previousVersions?.some((v) => v.sha256 === sha256)) return true;
  const item = await db().send(
    new GetCommand({ TableName: config.indexTable(), Key: Keys.instanceVersion(current.id, sha256), ProjectionExpression: 'pk', ConsistentRead: true }),
  );
  return item.Item !== undefined;
}

/** Every earlier version of an instance, oldest first, with the key of its item (absent for legacy ones). */
export async function listEarlierVersions(current: InstanceRecord): Promise<(InstanceVersion & { itemKey?: { pk: string; sk: string } })[]> {
  const versions: (InstanceVersion & { itemKey?: { pk: string; sk: string } })[] = [...(current.previousVersions ?? [])];
  for await (const item of queryIndex({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': Keys.instance(current.id).pk, ':prefix': Keys.versionsOfInstancePrefix(current.id) },
    ConsistentRead: true,
  })) {
    versions.push({
      sha256: String(item.sha256),
      objectKey: String(item.objectKey),
      size: Number(item.size),
      transferSyntaxUID: String(item.transferSyntaxUID),
      ingestedAt: String(item.ingestedAt),
      storageClass: item.storageClass === undefined ? undefined : String(item.storageClass),
      storageClassChangedAt: item.storageClassChangedAt === undefined ? undefined : String(item.storageClassChangedAt),
      itemKey: { pk: String(item.pk), sk: String(item.sk) },
    });
  }
  return versions.sort((a, b) => a.ingestedAt.localeCompare(b.ingestedAt));
}
