/**
 * The local TransactWriteItems emulation applies its actions one by one; readers must still
 * never see a transaction half applied, nor what a cancelled transaction wrote before it was
 * undone (DynamoDB's Query, Scan and BatchGetItem are read-committed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchGetItemCommand, DynamoDBClient, QueryCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCredentials, startDynamo, type LocalDynamo } from '#infra/local/dynamodb.ts';
import { system } from '#infra/system.ts';

const TableName = 'strata-index';
const ITEMS = 12;
const ROUNDS = 8;

describe('Local DynamoDB: readers never see a transaction half applied', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-iso-'));
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dynamo = await startDynamo(system.tables, { path: join(dataDir, 'dynamodb'), host: '127.0.0.1', port: 0, region: 'us-east-1' });
    client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: localCredentials, maxAttempts: 1 });
  });
  afterAll(async () => {
    client?.destroy();
    await dynamo?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Round r writes ITEMS items tagged r (the last one refused when `cancel`). */
  const round = (r: number, cancel: boolean) =>
    client
      .send(
        new TransactWriteItemsCommand({
          TransactItems: Array.from({ length: ITEMS }, (_, i) => ({
            Put: {
              TableName,
              Item: { pk: { S: cancel ? 'CANCELLED' : 'ISO' }, sk: { S: `${r}#${i}` }, round: { N: String(r) } },
              ...(cancel && i === ITEMS - 1 ? { ConditionExpression: 'attribute_exists(pk)' } : {}),
            },
          })),
        }),
      )
      .then(
        () => 'committed',
        (error: Error) => error.name,
      );

  it('a Query or BatchGetItem sees every item of a transaction or none, and nothing of a cancelled one', async () => {
    let writing = true;
    const seen: { partition: string; counts: Map<number, number> }[] = [];
    const tally = (partition: string, items: Record<string, { N?: string }>[]) => {
      const counts = new Map<number, number>();
      for (const item of items) counts.set(Number(item.round!.N), (counts.get(Number(item.round!.N)) ?? 0) + 1);
      seen.push({ partition, counts });
    };
    const readers = ['ISO', 'CANCELLED'].map(async (partition) => {
      while (writing) {
        const page = await client.send(
          new QueryCommand({ TableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: partition } }, ConsistentRead: true }),
        );
        tally(partition, page.Items ?? []);
      }
    });
    const batchReader = (async () => {
      while (writing) {
        const keys = Array.from({ length: ROUNDS }, (_, r) => ({ pk: { S: 'ISO' }, sk: { S: `${r}#${r % ITEMS}` } }));
        keys.push(...Array.from({ length: ROUNDS }, (_, r) => ({ pk: { S: 'ISO' }, sk: { S: `${r}#${(r + 5) % ITEMS}` } })));
        const page = await client.send(new BatchGetItemCommand({ RequestItems: { [TableName]: { Keys: keys, ConsistentRead: true } } }));
        // Two items of each round: both or neither.
        tally('BATCH', page.Responses?.[TableName] ?? []);
      }
    })();
    const outcomes: string[] = [];
    for (let r = 0; r < ROUNDS; r++) outcomes.push(...(await Promise.all([round(r, false), round(r, true)])));
    writing = false;
    await Promise.all([...readers, batchReader]);

    expect(outcomes.filter((o) => o === 'committed')).toHaveLength(ROUNDS);
    expect(outcomes.filter((o) => o === 'TransactionCanceledException')).toHaveLength(ROUNDS);
    expect(seen.length).toBeGreaterThan(ROUNDS);
    for (const { partition, counts } of seen) {
      if (partition === 'CANCELLED') expect([...counts.values()]).toEqual([]);
      else for (const count of counts.values()) expect(count).toBe(partition === 'BATCH' ? 2 : ITEMS);
    }
  });
});
