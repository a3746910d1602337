/**
 * TransactWriteItems for dynalite, which lacks it (infra/local/README.md). A proxy in front of
 * dynalite passes every other call through and emulates this one with DynamoDB's
 * all-or-nothing semantics, also across a crash:
 *
 * 1. the before-image of every item the transaction names is read and written to the
 *    journal (dynamodb-journal.ts, fsynced) before anything changes;
 * 2. the actions run with their own conditions (dynalite evaluates them);
 * 3. if one is refused, the others are put back from the images and the caller gets
 *    TransactionCanceledException with one CancellationReason per action;
 * 4. the journal entry is removed, and only then is the caller answered.
 * At start, entries left by a process that died between 1 and 4 are undone before the proxy
 * listens: the caller was never answered, so undoing is what DynamoDB would have done.
 *
 * Isolation: a transaction and a single-item write or GetItem on one of its items run one
 * after the other (DynamoDB serialises them too, refusing the loser with TransactionConflict
 * where we make it wait). A transaction holds its tables exclusively against Query, Scan and
 * BatchGetItem, which therefore never see it half applied nor see what a cancelled one
 * wrote and undid (DynamoDB's are read-committed: they see only committed transactions).
 * This is stricter than DynamoDB between transactions on different items of one table, which
 * costs only throughput locally. ClientRequestToken idempotency is not emulated.
 */
import { once } from 'node:events';
import type { Guard } from './iam/guards.ts';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readAll } from './read-body.ts';
import { TransactionJournal, type Item, type ItemImage } from './dynamodb-journal.ts';
import { NamedLocks } from './read-write-lock.ts';
import { dynamoOperation, type DirectCall } from './dynalite-direct.ts';

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
  /** Transactions found unfinished at start and undone. */
  recovered: number;
  stop(): Promise<void>;
}

/** Single-item operations that must not interleave with a transaction on the same item. */
const SINGLE_ITEM_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
/** DynamoDB's limit on the actions of one TransactWriteItems. */
const MAX_TRANSACTION_ACTIONS = 100;

/** Control-plane calls: a DeleteTable answered in-process let a restart race dynalite's deletion. */
const TABLE_OPERATIONS = new Set(['CreateTable', 'DeleteTable', 'UpdateTable']);

/** Multi-item reads that must not see a transaction in progress. */
const MULTI_ITEM_READS = new Set(['Query', 'Scan', 'BatchGetItem']);

export async function startTransactionProxy(
  /** dynalite, called in this process (dynalite-direct.ts). */
  dynalite: DirectCall,
  options: {
    host: string;
    port: number;
    journalPath: string;
    /** dynalite's HTTP endpoint: table operations (rare) go there, with the timing they always had. */
    httpEndpoint: string;
    /** Local IAM in front of the proxy (infra/local/iam/). */
    guard?: Guard;
  },
): Promise<TransactionProxy> {
  const journal = new TransactionJournal(options.journalPath);
  const keySchemas = new Map<string, string[]>();
  const itemLocks = new Map<string, Promise<unknown>>();
  const tableLocks = new NamedLocks();

  const keyOf = async (table: string, item: Item): Promise<Item> => {
    let names = keySchemas.get(table);
    if (!names) {
      const described = await dynamoOperation<{ Table?: { KeySchema?: { AttributeName: string }[] } }>(dynalite, 'DescribeTable', { TableName: table });
      names = (described.Table?.KeySchema ?? []).map((k) => k.AttributeName);
      keySchemas.set(table, names);
    }
    return Object.fromEntries(names.map((name) => [name, item[name]!]));
  };
  const identityOf = async (action: Action) => `${action.TableName}|${JSON.stringify(await keyOf(action.TableName, action.Key ?? action.Item!))}`;

  const unfinished = journal.unfinished();
  for (const entry of unfinished) {
    for (const image of entry.images) await restore(dynalite, image);
    await journal.end(entry);
  }

  const transact = async (items: TransactItem[]): Promise<{ status: number; body: unknown }> => {
    const targets = await Promise.all(
      items.map(async (entry) => {
        const [kind, action] = Object.entries(entry)[0] as [keyof TransactItem, Action];
        return { kind, action, key: await keyOf(action.TableName, action.Key ?? action.Item!) };
      }),
    );
    const images: ItemImage[] = await Promise.all(
      targets.map(async ({ action, key }) => ({
        table: action.TableName,
        key,
        prior: (await dynamoOperation<{ Item?: Item }>(dynalite, 'GetItem', { TableName: action.TableName, Key: key, ConsistentRead: true })).Item,
      })),
    );
    const entry = await journal.begin(images);
    // DynamoDB forbids two actions on one item in a transaction, so the actions are
    // independent and can run together; the journal makes the whole crash-safe.
    const reasons = await Promise.all(targets.map((target, i) => apply(dynalite, target, images[i]!)));
    const failed = reasons.some((reason) => reason.Code !== 'None');
    if (failed) for (const image of images) await restore(dynalite, image);
    await journal.end(entry);
    if (!failed) return { status: 200, body: {} };
    return {
      status: 400,
      body: {
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        CancellationReasons: reasons,
      },
    };
  };

  const listener = async (req: IncomingMessage, res: ServerResponse) => {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    const single = SINGLE_ITEM_WRITES.has(operation) || operation === 'GetItem';
    const read = MULTI_ITEM_READS.has(operation);
    try {
      const body = await readAll(req);
      if (TABLE_OPERATIONS.has(operation)) return await forwardHttp(new URL(options.httpEndpoint), req, body, res);
      if (operation !== 'TransactWriteItems' && !single && !read) return await forward(dynalite, req, body, res);
      if (read) {
        const request = JSON.parse(body.toString('utf8')) as { TableName?: string; RequestItems?: Record<string, unknown> };
        const tables = request.TableName ? [request.TableName] : Object.keys(request.RequestItems ?? {});
        await tableLocks.run(tables, false, () => forward(dynalite, req, body, res));
        return;
      }
      if (single) {
        const action = JSON.parse(body.toString('utf8')) as Action;
        const identity = await identityOf(action);
        // A write takes its turn among the transactions on its item; a read waits for them.
        if (SINGLE_ITEM_WRITES.has(operation)) await lockItems(itemLocks, [identity], () => forward(dynalite, req, body, res));
        else {
          await itemLocks.get(identity)?.catch(() => {});
          await forward(dynalite, req, body, res);
        }
        return;
      }
      const items = (JSON.parse(body.toString('utf8')) as { TransactItems?: TransactItem[] }).TransactItems ?? [];
      const identities = await Promise.all(items.map((entry) => identityOf(Object.values(entry)[0] as Action)));
      // As DynamoDB validates a transaction before running it (a request it refuses so is never retried into success).
      const invalid =
        items.length === 0 || items.length > MAX_TRANSACTION_ACTIONS
          ? `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TRANSACTION_ACTIONS} and greater than or equal to 1`
          : new Set(identities).size < identities.length
            ? 'Transaction request cannot include multiple operations on one item'
            : undefined;
      if (invalid) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message: invalid }));
        return;
      }
      const tables = items.map((entry) => (Object.values(entry)[0] as Action).TableName);
      const { status, body: answer } = await lockItems(itemLocks, identities, () => tableLocks.run(tables, true, () => transact(items)));
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(answer));
    } catch (error) {
      if (res.headersSent) return void res.destroy();
      res
        .writeHead(500, { 'content-type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) }));
    }
  };
  // Requests reach dynalite in this process, not over a socket its server.close() would wait
  // for: stop() waits for them itself, or their writes would land after LevelDB has closed.
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  const tracked = (req: IncomingMessage, res: ServerResponse) => {
    if (stopping) return void res.destroy(); // e.g. a body local IAM finished reading after stop()
    const work = listener(req, res);
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
    return work;
  };
  const server = createServer(options.guard ? options.guard(tracked) : tracked);
  server.keepAliveTimeout = 60_000;
  server.listen(options.port, options.host);
  await once(server, 'listening');
  return {
    endpoint: `http://${options.host}:${(server.address() as AddressInfo).port}`,
    recovered: unfinished.length,
    async stop() {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
  };
}

/** Runs `task` once every earlier task on any of the same items has finished. */
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

type Reason = { Code: string; Message?: string };

async function apply(dynalite: DirectCall, target: { kind: keyof TransactItem; action: Action; key: Item }, image: ItemImage): Promise<Reason> {
  const { kind, action, key } = target;
  const common = {
    TableName: action.TableName,
    ConditionExpression: action.ConditionExpression,
    ExpressionAttributeNames: action.ExpressionAttributeNames,
    ExpressionAttributeValues: action.ExpressionAttributeValues,
  };
  try {
    if (kind === 'Put') await dynamoOperation(dynalite, 'PutItem', { ...common, Item: action.Item! });
    else if (kind === 'Delete') await dynamoOperation(dynalite, 'DeleteItem', { ...common, Key: key });
    else await dynamoOperation(dynalite, 'UpdateItem', { ...common, Key: key, UpdateExpression: action.UpdateExpression });
    // A ConditionCheck writes nothing: put back what the probe may have created.
    if (kind === 'ConditionCheck') await restore(dynalite, image);
    return { Code: 'None' };
  } catch (error) {
    return (error as Error).name === 'ConditionalCheckFailedException'
      ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }
      : { Code: 'ValidationError', Message: (error as Error).message };
  }
}

async function restore(dynalite: DirectCall, image: ItemImage): Promise<void> {
  if (image.prior) await dynamoOperation(dynalite, 'PutItem', { TableName: image.table, Item: image.prior });
  else await dynamoOperation(dynalite, 'DeleteItem', { TableName: image.table, Key: image.key });
}

/** Passes a request (its body already read) to dynalite and writes dynalite's answer back. */
async function forward(dynalite: DirectCall, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
  const answer = await dynalite({ method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body });
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

/** Sends an already-read request to dynalite over HTTP; resolves when the answer has been relayed. */
function forwardHttp(origin: URL, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const outgoing = request({ hostname: origin.hostname, port: origin.port, method: req.method, path: req.url, headers: req.headers }, (upstream) => {
      res.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(res);
      upstream.on('end', resolve);
      upstream.on('error', () => resolve());
    });
    outgoing.on('error', () => {
      res.destroy();
      resolve();
    });
    outgoing.end(body);
  });
}
