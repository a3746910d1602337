/**
 * The cold counts (`nNearline`, `nOffline`) of a study and its series as the index holds them,
 * and their correction — conditional on the values read, so a tier event that lands in between
 * (an ADD) makes the correction fail rather than be overwritten (the tier backfill reads again).
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Keys } from '#core/index-keys.ts';
import type { ColdCounts } from '#core/lifecycle/availability.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { appliedIf } from '#adapters/conditional-write.ts';

/** Absent attributes are undefined (studies archived before the counts existed have none). */
export type StoredColdCounts = { nearline: number | undefined; offline: number | undefined };

export interface StudyColdCounts {
  study: StoredColdCounts | undefined;
  series: Map<string, StoredColdCounts>;
}

const countsOf = (item: Record<string, unknown>): StoredColdCounts => ({
  nearline: item.nNearline === undefined ? undefined : Number(item.nNearline),
  offline: item.nOffline === undefined ? undefined : Number(item.nOffline),
});

export async function readColdCounts(tenant: string, study: string): Promise<StudyColdCounts> {
  const key = Keys.study(tenant, study);
  const [studyItem, seriesItems] = await Promise.all([
    documentClient().send(new GetCommand({ TableName: config.indexTable(), Key: key, ProjectionExpression: 'nNearline, nOffline, pk', ConsistentRead: true })),
    collectSeries(key.pk),
  ]);
  return { study: studyItem.Item ? countsOf(studyItem.Item) : undefined, series: seriesItems };
}

async function collectSeries(pk: string): Promise<Map<string, StoredColdCounts>> {
  const series = new Map<string, StoredColdCounts>();
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: config.indexTable(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': Keys.seriesOfStudyPrefix },
        ProjectionExpression: 'sk, nNearline, nOffline',
        ConsistentRead: true,
        ...(ExclusiveStartKey ? { ExclusiveStartKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) series.set(String(item.sk).slice(Keys.seriesOfStudyPrefix.length), countsOf(item));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return series;
}

/** Sets the counts of the study (no series) or of one series, if they are still `seen`; false otherwise. */
export async function correctColdCounts(tenant: string, study: string, series: string | undefined, seen: StoredColdCounts, actual: ColdCounts): Promise<boolean> {
  const unchanged = (name: string, value: number | undefined, placeholder: string) => (value === undefined ? `attribute_not_exists(${name})` : `${name} = ${placeholder}`);
  return appliedIf(
    documentClient().send(
      new UpdateCommand({
        TableName: config.indexTable(),
        Key: series === undefined ? Keys.study(tenant, study) : Keys.series(tenant, study, series),
        UpdateExpression: 'SET nNearline = :nearline, nOffline = :offline',
        ConditionExpression: `attribute_exists(pk) AND ${unchanged('nNearline', seen.nearline, ':seenNearline')} AND ${unchanged('nOffline', seen.offline, ':seenOffline')}`,
        ExpressionAttributeValues: {
          ':nearline': actual.nearline,
          ':offline': actual.offline,
          ...(seen.nearline === undefined ? {} : { ':seenNearline': seen.nearline }),
          ...(seen.offline === undefined ? {} : { ':seenOffline': seen.offline }),
        },
      }),
    ),
  );
}
