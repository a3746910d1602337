/**
 * DynamoDB: dynalite persisted on disk, with the tables and GSIs of the system declaration
 * (the same keys CDK creates), behind a small proxy that adds TransactWriteItems
 * (dynamodb-transactions.ts, crash-safe through its journal in `<path>-transactions/`). Physical table names are `strata-<logical>` locally.
 * The proxy calls dynalite's handler in this process (dynalite-direct.ts); table operations
 * (CreateTable, DeleteTable, UpdateTable) still go to dynalite's port.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { TableDeclaration } from '#infra/system-types.ts';
import { startTransactionProxy } from './dynamodb-transactions.ts';
import { directCaller } from './dynalite-direct.ts';
import { closeDynaliteIterators } from './dynalite-iterators.ts';
import type { Guard } from './iam/guards.ts';

export interface LocalDynamo {
  endpoint: string;
  port: number;
  /** Transactions a crash left unfinished, undone at start. */
  recoveredTransactions: number;
  stop(): Promise<void>;
}

export const localTableName = (logical: string) => `strata-${logical}`;

export async function startDynamo(
  tables: Readonly<Record<string, TableDeclaration>>,
  options: { path: string; host: string; port: number; region: string; guard?: Guard },
): Promise<LocalDynamo> {
  closeDynaliteIterators();
  // dynalite's default delays imitate CREATING→ACTIVE; a local archive wants tables at once.
  const server: Server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const dynaliteEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const client = new DynamoDBClient({ endpoint: dynaliteEndpoint, region: options.region, credentials: localCredentials });
  for (const [logical, table] of Object.entries(tables)) {
    await createTableIfMissing(client, localTableName(logical), table);
  }
  client.destroy();

  const proxy = await startTransactionProxy(directCaller(server), {
    host: options.host,
    port: options.port,
    // Beside dynalite's LevelDB directory, not in it.
    journalPath: `${options.path}-transactions`,
    httpEndpoint: dynaliteEndpoint,
    ...(options.guard ? { guard: options.guard } : {}),
  });
  return {
    endpoint: proxy.endpoint,
    port: Number(new URL(proxy.endpoint).port),
    recoveredTransactions: proxy.recovered,
    async stop() {
      await proxy.stop();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

export const localCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

async function createTableIfMissing(client: DynamoDBClient, name: string, table: TableDeclaration): Promise<void> {
  const attributes = new Set([table.partitionKey, table.sortKey]);
  for (const gsi of table.globalIndexes) attributes.add(gsi.partitionKey).add(gsi.sortKey);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: table.partitionKey, KeyType: 'HASH' },
          { AttributeName: table.sortKey, KeyType: 'RANGE' },
        ],
        // DynamoDB refuses an empty list: a table without indexes leaves the field out.
        GlobalSecondaryIndexes: table.globalIndexes.length === 0 ? undefined : table.globalIndexes.map((gsi) => ({
          IndexName: gsi.name,
          KeySchema: [
            { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
            { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error; // already there from a previous run
  }
}
