/**
 * Research/teaching pins of a study (a string set on the study item) and the walk over a
 * tenant's studies (GSI3, newest first, one page per call) that a policy change re-evaluates.
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Keys, studyOfPartition } from '#core/index-keys.ts';
import type { Pin } from '#core/lifecycle/policy.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '../aws-clients.ts';
import { appliedIf } from '../conditional-write.ts';

/** Sets the study's pins (an empty list removes them); false when the index does not know the study. */
export async function setStudyPins(tenant: string, study: string, pins: readonly Pin[]): Promise<boolean> {
  return appliedIf(
    documentClient().send(
      new UpdateCommand({
        TableName: config.indexTable(),
        Key: Keys.study(tenant, study),
        UpdateExpression: pins.length ? 'SET pins = :pins' : 'REMOVE pins',
        ConditionExpression: 'attribute_exists(pk)',
        ...(pins.length ? { ExpressionAttributeValues: { ':pins': new Set(pins) } } : {}),
      }),
    ),
  );
}

export async function studyPins(tenant: string, study: string): Promise<Pin[]> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.study(tenant, study), ProjectionExpression: 'pins', ConsistentRead: true }));
  return [...((Item?.pins as Set<Pin> | undefined) ?? [])].sort();
}

/** One page of a tenant's studies (GSI3) and the cursor of the next, if any. */
export async function studiesPage(tenant: string, size: number, cursor: string | undefined): Promise<{ studies: string[]; cursor?: string | undefined }> {
  const result = await documentClient().send(
    new QueryCommand({
      TableName: config.indexTable(),
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk',
      ExpressionAttributeValues: { ':pk': Keys.studiesByDate(tenant) },
      ProjectionExpression: 'pk',
      Limit: size,
      ...(cursor ? { ExclusiveStartKey: JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown> } : {}),
    }),
  );
  return {
    studies: (result.Items ?? []).map((item) => studyOfPartition(String(item.pk))),
    cursor: result.LastEvaluatedKey ? Buffer.from(JSON.stringify(result.LastEvaluatedKey)).toString('base64url') : undefined,
  };
}
