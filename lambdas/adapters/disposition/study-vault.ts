/**
 * Hiding and un-hiding a study's index items (core/disposition/study-vault.ts): each item is
 * copied to the vault partition, then deleted from the study's, so a crash at any point
 * leaves every item in one place or both, never in neither; a rerun finishes the move. The
 * study item moves first on the way out (QIDO stops listing it at once) and last on the way back.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { Keys } from '#core/index-keys.ts';
import { fromVault, isMoved, toVault, type IndexItem } from '#core/disposition/study-vault.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';

const db = documentClient;
const table = () => config.indexTable();

/** The items of a partition a soft-delete moves (study, series, instances, versions). */
export async function storedItems(pk: string): Promise<IndexItem[]> {
  return (await partitionItems(pk)).filter((item) => isMoved(item.sk));
}

async function partitionItems(pk: string): Promise<IndexItem[]> {
  const items: IndexItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db().send(new QueryCommand({ TableName: table(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...((page.Items ?? []) as IndexItem[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

const studyFirst = (a: IndexItem, b: IndexItem) => Number(b.sk === 'STUDY') - Number(a.sk === 'STUDY');

/** Moves the study's index items into the vault; returns how many were moved by this call. */
export async function hideStudy(tenant: string, study: string, dispositionId: string): Promise<number> {
  const items = (await partitionItems(Keys.study(tenant, study).pk)).filter((item) => isMoved(item.sk)).sort(studyFirst);
  for (const item of items) {
    await db().send(new PutCommand({ TableName: table(), Item: toVault(item, tenant, study, dispositionId) }));
    await db().send(new DeleteCommand({ TableName: table(), Key: { pk: item.pk, sk: item.sk } }));
  }
  return items.length;
}

export async function vaultItems(tenant: string, study: string): Promise<IndexItem[]> {
  return partitionItems(Keys.disposedStudyPartition(tenant, study));
}

/**
 * Moves the vault's items back. An item that exists again in the study (a STOW of the same
 * instance after the soft-delete) is kept as it is and the vault copy dropped.
 */
export async function unhideStudy(tenant: string, study: string): Promise<number> {
  const items = (await vaultItems(tenant, study)).sort(studyFirst).reverse();
  for (const item of items) {
    try {
      await db().send(new PutCommand({ TableName: table(), Item: fromVault(item, tenant, study), ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    await db().send(new DeleteCommand({ TableName: table(), Key: { pk: item.pk, sk: item.sk } }));
  }
  return items.length;
}

export async function dropVault(tenant: string, study: string): Promise<void> {
  for (const item of await vaultItems(tenant, study)) await db().send(new DeleteCommand({ TableName: table(), Key: { pk: item.pk, sk: item.sk } }));
}

/** The study item, wherever it is now (the study's partition or the vault). */
export async function studyItemAnywhere(tenant: string, study: string): Promise<{ item: IndexItem; hidden: boolean } | undefined> {
  for (const [pk, hidden] of [[Keys.study(tenant, study).pk, false], [Keys.disposedStudyPartition(tenant, study), true]] as const) {
    const { Item } = await db().send(new GetCommand({ TableName: table(), Key: { pk, sk: 'STUDY' }, ConsistentRead: true }));
    if (Item) return { item: Item as IndexItem, hidden };
  }
  return undefined;
}
