/**
 * The fixity sweep's position per tenant (core/fixity/sweep.ts): one index item by key, read
 * consistently and written conditionally on the revision it was read at, so two sweeps of one
 * tenant never both advance it (the second stops).
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Keys } from '#core/index-keys.ts';
import type { SweepPosition } from '#core/fixity/sweep.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { appliedIf } from '#adapters/conditional-write.ts';

export async function getSweepPosition(tenant: string): Promise<SweepPosition | undefined> {
  const item = (await documentClient().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.fixitySweep(tenant), ConsistentRead: true }))).Item;
  return item ? (JSON.parse(String(item.position)) as SweepPosition) : undefined;
}

/** Saves the position if nobody saved one since `previousRevision` (undefined: none existed); false if somebody did. */
export function saveSweepPosition(tenant: string, position: SweepPosition, previousRevision: number | undefined): Promise<boolean> {
  return appliedIf(
    documentClient().send(
      new PutCommand({
        TableName: config.indexTable(),
        Item: { ...Keys.fixitySweep(tenant), type: 'fixitySweep', revision: position.revision, position: JSON.stringify(position) },
        ...(previousRevision === undefined
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'revision = :previous', ExpressionAttributeValues: { ':previous': previousRevision } }),
      }),
    ),
  );
}
