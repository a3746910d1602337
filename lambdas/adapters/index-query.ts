/**
 * One paginated Query on the index table or a GSI, item by item, adding the read capacity it
 * consumes to an optional meter (QIDO reports it per request; benchmarks per query shape).
 */
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
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
