/**
 * TransactWriteItems for dynalite, which lacks it (local-emulators.md). A proxy in front of
 * dynalite passes every other call through untouched and emulates this one with the same
 * all-or-nothing semantics: the actions run with their own conditions (dynalite evaluates
 * them), and if one is refused the others are rolled back from the item images saved before
 * each write, and the caller gets TransactionCanceledException with one
 * CancellationReason per action, as DynamoDB sends it.
 *
 * Isolation: transactions touching a common item run one after the other (as DynamoDB's
 * would after a TransactionConflict retry); a plain write racing a transaction on the same
 * item is not rejected with TransactionConflict as in AWS.
 * ClientRequestToken idempotency is not emulated.
 */
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readAll } from './read-body.ts';
import {
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

interface Action {
  TableName: string;
  Item?: Item;
  Key?: Item;
  UpdateExpression?: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Item;
}

type TransactItem = { Put?: Action; Update?: Action; Delete?: Action; ConditionCheck?: Action };

export interface TransactionProxy {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startTransactionProxy(
  upstream: string,
  options: { host: string; port: number; region: string; credentials: { accessKeyId: string; secretAccessKey: string } },
): Promise<TransactionProxy> {
  const origin = new URL(upstream);
  const client = new DynamoDBClient({ endpoint: upstream, region: options.region, credentials: options.credentials });
  const keySchemas = new Map<string, string[]>();
  const itemLocks = new Map<string, Promise<unknown>>();

  const keyOf = async (table: string, item: Item): Promise<Item> => {
    let names = keySchemas.get(table);
    if (!names) {
      const described = await client.send(new DescribeTableCommand({ TableName: table }));
      names = (described.Table?.KeySchema ?? []).map((k) => k.AttributeName!);
      keySchemas.set(table, names);
    }
    return Object.fromEntries(names.map((name) => [name, item[name]!]));
  };

  const transact = async (items: TransactItem[]): Promise<{ status: number; body: unknown }> => {
    // DynamoDB forbids two actions on one item in a transaction, so the actions are
    // independent and can run together; any refusal rolls back the others.
    const outcomes = await Promise.all(items.map((entry) => apply(client, entry, keyOf)));
    const failed = outcomes.some((outcome) => outcome.reason.Code !== 'None');
    if (!failed) return { status: 200, body: {} };
    for (const outcome of outcomes) if (outcome.applied) await restore(client, outcome.table, outcome.key, outcome.prior);
    const reasons = outcomes.map((outcome) => outcome.reason);
    return {
      status: 400,
      body: {
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        CancellationReasons: reasons,
      },
    };
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (!target.endsWith('.TransactWriteItems')) return pipeUpstream(origin, req, res);
    const payload = JSON.parse((await readAll(req)).toString('utf8')) as { TransactItems?: TransactItem[] };
    const items = payload.TransactItems ?? [];
    const identities = await Promise.all(
      items.map(async (entry) => {
        const action = Object.values(entry)[0] as Action;
        return `${action.TableName}|${JSON.stringify(await keyOf(action.TableName, action.Key ?? action.Item!))}`;
      }),
    );
    const run = lockItems(itemLocks, identities, () => transact(items));
    try {
      const { status, body } = await run;
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(body));
    } catch (error) {
      res
        .writeHead(500, { 'content-type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) }));
    }
  });
  server.keepAliveTimeout = 60_000;
  server.listen(options.port, options.host);
  await once(server, 'listening');
  return {
    endpoint: `http://${options.host}:${(server.address() as AddressInfo).port}`,
    async stop() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Runs `task` once every earlier transaction on any of the same items has finished. */
async function lockItems<T>(locks: Map<string, Promise<unknown>>, identities: string[], task: () => Promise<T>): Promise<T> {
  const previous = [...new Set(identities)].map((id) => locks.get(id) ?? Promise.resolve());
  const run = Promise.allSettled(previous).then(task);
  const settled = run.catch(() => {});
  for (const id of identities) locks.set(id, settled);
  try {
    return await run;
  } finally {
    for (const id of identities) if (locks.get(id) === settled) locks.delete(id);
  }
}

interface Outcome {
  table: string;
  key: Item;
  prior: Item | undefined;
  applied: boolean;
  reason: { Code: string; Message?: string };
}

async function apply(client: DynamoDBClient, entry: TransactItem, keyOf: (table: string, item: Item) => Promise<Item>): Promise<Outcome> {
  const [kind, action] = Object.entries(entry)[0] as [keyof TransactItem, Action];
  const key = await keyOf(action.TableName, action.Key ?? action.Item!);
  const prior = (await client.send(new GetItemCommand({ TableName: action.TableName, Key: key, ConsistentRead: true }))).Item;
  const common = {
    TableName: action.TableName,
    ConditionExpression: action.ConditionExpression,
    ExpressionAttributeNames: action.ExpressionAttributeNames,
    ExpressionAttributeValues: action.ExpressionAttributeValues,
  };
  const outcome: Outcome = { table: action.TableName, key, prior, applied: false, reason: { Code: 'None' } };
  try {
    if (kind === 'Put') await client.send(new PutItemCommand({ ...common, Item: action.Item! }));
    else if (kind === 'Delete') await client.send(new DeleteItemCommand({ ...common, Key: key }));
    else await client.send(new UpdateItemCommand({ ...common, Key: key, UpdateExpression: action.UpdateExpression }));
    // A ConditionCheck writes nothing: put back what the probe may have created.
    if (kind === 'ConditionCheck') await restore(client, action.TableName, key, prior);
    else outcome.applied = true;
  } catch (error) {
    outcome.reason =
      (error as Error).name === 'ConditionalCheckFailedException'
        ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }
        : { Code: 'ValidationError', Message: (error as Error).message };
  }
  return outcome;
}

async function restore(client: DynamoDBClient, table: string, key: Item, prior: Item | undefined): Promise<void> {
  if (prior) await client.send(new PutItemCommand({ TableName: table, Item: prior }));
  else await client.send(new DeleteItemCommand({ TableName: table, Key: key }));
}

function pipeUpstream(origin: URL, req: IncomingMessage, res: ServerResponse): void {
  const outgoing = request(
    { hostname: origin.hostname, port: origin.port, method: req.method, path: req.url, headers: req.headers },
    (upstream) => {
      res.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(res);
    },
  );
  outgoing.on('error', () => res.destroy());
  req.pipe(outgoing);
}
