/**
 * The local TransactWriteItems emulation is all-or-nothing across a crash: what a transaction
 * journalled but never finished is undone when the emulator starts again.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand, TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCredentials, startDynamo, type LocalDynamo } from '#infra/local/dynamodb.ts';
import { TransactionJournal } from '#infra/local/dynamodb-journal.ts';
import { system } from '#infra/system.ts';

describe('Local DynamoDB: transactions survive a crash whole or not at all', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-tx-'));
  const path = join(dataDir, 'dynamodb');
  const TableName = 'strata-index';
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;
  const start = async () => {
    dynamo = await startDynamo(system.tables, { path, host: '127.0.0.1', port: 0, region: 'us-east-1' });
    client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: localCredentials });
  };
  const stop = async () => {
    client.destroy();
    await dynamo.stop();
  };
  const get = async (sk: string) => (await client.send(new GetItemCommand({ TableName, Key: { pk: { S: 'P' }, sk: { S: sk } }, ConsistentRead: true }))).Item;

  beforeAll(start);
  afterAll(async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('commits a transaction and leaves no journal entry behind', async () => {
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName, Item: { pk: { S: 'P' }, sk: { S: 'A' }, n: { N: '1' } }, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Update: { TableName, Key: { pk: { S: 'P' }, sk: { S: 'COUNT' } }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } } },
        ],
      }),
    );
    expect((await get('COUNT'))?.n?.N).toBe('1');
    expect(readdirSync(`${path}-transactions`)).toEqual([]);
  });

  it('cancels a transaction with a refused condition and restores what the others changed', async () => {
    const attempt = client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName, Item: { pk: { S: 'P' }, sk: { S: 'B' } }, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Put: { TableName, Item: { pk: { S: 'P' }, sk: { S: 'A' } }, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Update: { TableName, Key: { pk: { S: 'P' }, sk: { S: 'COUNT' } }, UpdateExpression: 'ADD n :two', ExpressionAttributeValues: { ':two': { N: '2' } } } },
        ],
      }),
    );
    await expect(attempt).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    expect(await get('B')).toBeUndefined();
    expect((await get('COUNT'))?.n?.N).toBe('1');
  });

  it('undoes at start a transaction the process died in the middle of', async () => {
    // The state a kill -9 leaves after the journal entry and half of the writes.
    const journal = new TransactionJournal(`${path}-transactions`);
    await journal.begin([
      { table: TableName, key: { pk: { S: 'P' }, sk: { S: 'C' } }, prior: undefined },
      { table: TableName, key: { pk: { S: 'P' }, sk: { S: 'COUNT' } }, prior: await get('COUNT') },
    ]);
    await client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'P' }, sk: { S: 'C' } } }));
    await client.send(
      new UpdateItemCommand({ TableName, Key: { pk: { S: 'P' }, sk: { S: 'COUNT' } }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } }),
    );
    expect((await get('COUNT'))?.n?.N).toBe('2');

    await stop();
    await start();
    expect(dynamo.recoveredTransactions).toBe(1);
    expect(await get('C')).toBeUndefined();
    expect((await get('COUNT'))?.n?.N).toBe('1');
    expect(await get('A')).toBeDefined();
    expect(readdirSync(`${path}-transactions`)).toEqual([]);
  });
});
