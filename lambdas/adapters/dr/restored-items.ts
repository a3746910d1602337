/**
 * Index items put back by a rebuild as the bucket's records hold them (services/dr/restore-ledgers.ts):
 * each put only where the key is free, so a repeated rebuild, or one into a table that has moved
 * on since, changes nothing that is there; and a partition's items read back (Query) for a record.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { appliedIf } from '#adapters/conditional-write.ts';
import { queryIndex } from '#adapters/index-query.ts';

/** Puts each item unless its key is taken; how many were put. */
export async function putItemsIfAbsent(items: readonly Record<string, unknown>[]): Promise<number> {
  let put = 0;
  for (const Item of items) {
    if (await appliedIf(documentClient().send(new PutCommand({ TableName: config.indexTable(), Item, ConditionExpression: 'attribute_not_exists(pk)' })))) put++;
  }
  return put;
}

/** Every item of one partition (consistent). */
export async function partitionItems(pk: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const item of queryIndex({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true })) items.push(item);
  return items;
}
