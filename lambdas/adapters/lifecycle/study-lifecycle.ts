/**
 * What the lifecycle policy keeps on a study item — research/teaching pins (a string set) and
 * when its bytes were last read — and the walk over a
 * tenant's studies (GSI3, newest first, one page per call) that a policy change re-evaluates.
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Keys, studyOfPartition } from '#core/index-keys.ts';
import type { Pin } from '#core/lifecycle/policy.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { appliedIf } from '#adapters/conditional-write.ts';

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

/** What the lifecycle policy reads from the study item: its pins and when its bytes were last read. */
export async function studyLifecycleState(tenant: string, study: string): Promise<{ pins: Pin[]; lastAccessAt?: string | undefined }> {
  const { Item } = await documentClient().send(
    new GetCommand({ TableName: config.indexTable(), Key: Keys.study(tenant, study), ProjectionExpression: 'pins, lastAccessAt', ConsistentRead: true }),
  );
  return { pins: [...((Item?.pins as Set<Pin> | undefined) ?? [])].sort(), ...(Item?.lastAccessAt ? { lastAccessAt: String(Item.lastAccessAt) } : {}) };
}

/**
 * Records that the study's bytes were read at `at` — at most once per UTC day per study (the
 * condition makes every later read that day a refused no-op), so last-access rules cost one
 * write per study and day, not one per read.
 */
export async function recordStudyAccess(tenant: string, study: string, at: Date): Promise<void> {
  const day = `${at.toISOString().slice(0, 10)}T00:00:00.000Z`;
  await appliedIf(
    documentClient().send(
      new UpdateCommand({
        TableName: config.indexTable(),
        Key: Keys.study(tenant, study),
        UpdateExpression: 'SET lastAccessAt = :at',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastAccessAt) OR lastAccessAt < :day)',
        ExpressionAttributeValues: { ':at': at.toISOString(), ':day': day },
      }),
    ),
  );
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
