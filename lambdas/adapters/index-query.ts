/**
 * One paginated Query on the index table or a GSI, item by item, adding the read capacity it
 * consumes to an optional meter (QIDO reports it per request; benchmarks per query shape).
 */
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { Keys } from '#core/index-keys.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from './aws-clients.ts';

export interface ReadMeter {
  readUnits: number;
}

export async function* queryIndex(input: Omit<QueryCommandInput, 'TableName'>, meter?: ReadMeter): AsyncGenerator<Record<string, unknown>> {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new QueryCommand({ ...input, TableName: config.indexTable(), ExclusiveStartKey: start, ...(meter ? { ReturnConsumedCapacity: 'TOTAL' } : {}) }),
    );
    if (meter) meter.readUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
    for (const item of page.Items ?? []) yield item;
    start = page.LastEvaluatedKey;
  } while (start);
}

type ReadOptions = Pick<QueryCommandInput, 'ProjectionExpression' | 'ConsistentRead'>;

/** A study's series items, in UID order: one Query on the study partition. */
export function seriesItemsOf(tenant: string, study: string, options: ReadOptions = {}, meter?: ReadMeter): AsyncGenerator<Record<string, unknown>> {
  return queryIndex(
    { KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', ExpressionAttributeValues: { ':pk': Keys.study(tenant, study).pk, ':prefix': Keys.seriesOfStudyPrefix }, ...options },
    meter,
  );
}

/** The instance items of a study, or of one of its series, in UID order: one Query on the study partition. */
export function instanceItemsOf(tenant: string, study: string, series: string | undefined, options: ReadOptions = {}, meter?: ReadMeter): AsyncGenerator<Record<string, unknown>> {
  const prefix = series ? Keys.instancesOfSeriesPrefix(series) : Keys.instancesOfStudyPrefix;
  return queryIndex({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', ExpressionAttributeValues: { ':pk': Keys.study(tenant, study).pk, ':prefix': prefix }, ...options }, meter);
}
