/**
 * The transaction proxy calls dynalite in this process, so no socket keeps dynalite's server
 * open while a request is under way: stop() must wait for those requests itself. Before it
 * did, a write landing after LevelDB had closed failed with LEVEL_DATABASE_NOT_OPEN, outside
 * any caller (an unhandled error), and what the caller had been answered was not on disk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, QueryCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { localCredentials, startDynamo } from '#infra/local/dynamodb.ts';
import { system } from '#infra/system.ts';

const TableName = 'strata-index';
const TRANSACTIONS = 40;
const ITEMS = 5;

describe('Local DynamoDB: stop() while requests are under way', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-stop-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const start = () => startDynamo(system.tables, { path: join(dataDir, 'dynamodb'), host: '127.0.0.1', port: 0, region: 'us-east-1' });

  it('waits for them: every acknowledged transaction is whole after a restart, none is half there', async () => {
    const unhandled: unknown[] = [];
    const record = (error: unknown) => unhandled.push(error);
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
    try {
      const dynamo = await start();
      const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: localCredentials, maxAttempts: 1 });
      const outcomes = Array.from({ length: TRANSACTIONS }, (_, t) =>
        client
          .send(
            new TransactWriteItemsCommand({
              TransactItems: Array.from({ length: ITEMS }, (_, i) => ({ Put: { TableName, Item: { pk: { S: 'STOP' }, sk: { S: `${t}#${i}` } } } })),
            }),
          )
          .then(
            () => true,
            () => false,
          ),
      );
      // Stop once the first answer shows requests are being served, with most still queued.
      await Promise.race(outcomes);
      await dynamo.stop();
      const acknowledged = await Promise.all(outcomes);
      client.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200)); // room for a late LevelDB error to surface

      const again = await start();
      const reader = new DynamoDBClient({ endpoint: again.endpoint, region: 'us-east-1', credentials: localCredentials });
      const found = await reader.send(new QueryCommand({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'STOP' } } }));
      reader.destroy();
      await again.stop();

      const perTransaction = new Map<number, number>();
      for (const item of found.Items ?? []) {
        const t = Number(item.sk!.S!.split('#')[0]);
        perTransaction.set(t, (perTransaction.get(t) ?? 0) + 1);
      }
      expect(unhandled).toEqual([]);
      expect(acknowledged.filter(Boolean).length).toBeGreaterThan(0);
      acknowledged.forEach((ok, t) => {
        if (ok) expect(perTransaction.get(t), `transaction ${t} was acknowledged`).toBe(ITEMS);
        else expect([0, ITEMS], `transaction ${t} is all or nothing`).toContain(perTransaction.get(t) ?? 0);
      });
    } finally {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
    }
  });
});
