/**
 * What a DynamoDB, Step Functions or EventBridge JSON request asks IAM for, from its `X-Amz-Target`
 * operation and body (Service Authorization Reference): a transaction needs the action of each
 * of its items, a batch its own action on each table.
 */
import type { Request } from './policy.ts';
import { decodeTaskToken } from '../step-functions-timers.ts';

type Body = Record<string, unknown>;

/** An item or key in DynamoDB's JSON (`{ pk: { S: '…' } }`). */
type Attributes = Record<string, Record<string, unknown>> | undefined;

/**
 * DynamoDB requests, with `dynamodb:LeadingKeys` (the partition key values an item request
 * touches) for the item actions, so a grant limited to some items is evaluated as in AWS.
 * `partitionKeyOf` names a table's partition key attribute (from the declaration).
 */
export function dynamoRequests(operation: string, body: Body, tableArn: (name: string) => string, partitionKeyOf: (name: string) => string | undefined): Request[] {
  const table = (name: unknown, index?: unknown) => `${tableArn(String(name))}${index ? `/index/${String(index)}` : ''}`;
  const tablesOf = (items: unknown) => Object.entries((items ?? {}) as Record<string, unknown>);
  /** The request on `name`'s items: their partition key values as the condition key. */
  const onItems = (action: string, name: unknown, items: readonly Attributes[]): Request => {
    const partitionKey = partitionKeyOf(String(name));
    const request = { action: `dynamodb:${action}`, resource: table(name) };
    if (!partitionKey) return request;
    const values = items.map((item) => item?.[partitionKey]).filter((value) => value !== undefined).map((value) => String(Object.values(value)[0]));
    return { ...request, context: { 'dynamodb:LeadingKeys': [...new Set(values)] } };
  };
  switch (operation) {
    case 'BatchGetItem':
      return tablesOf(body.RequestItems).map(([name, read]) => onItems(operation, name, ((read as { Keys?: Attributes[] }).Keys ?? [])));
    case 'BatchWriteItem':
      return tablesOf(body.RequestItems).map(([name, writes]) =>
        onItems(operation, name, ((writes ?? []) as { PutRequest?: { Item: Attributes }; DeleteRequest?: { Key: Attributes } }[]).map((write) => write.PutRequest?.Item ?? write.DeleteRequest?.Key)),
      );
    case 'TransactWriteItems':
    case 'TransactGetItems': {
      const actions: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };
      return ((body.TransactItems ?? []) as Record<string, { TableName?: string; Key?: Attributes; Item?: Attributes }>[]).flatMap((item) =>
        Object.entries(item).map(([kind, action]) => onItems(actions[kind] ?? kind, action.TableName, [action.Key ?? action.Item])),
      );
    }
    case 'GetItem':
    case 'DeleteItem':
    case 'UpdateItem':
      return [onItems(operation, body.TableName, [body.Key as Attributes])];
    case 'PutItem':
      return [onItems(operation, body.TableName, [body.Item as Attributes])];
    case 'Query':
    case 'Scan':
      return [{ action: `dynamodb:${operation}`, resource: table(body.TableName, body.IndexName) }];
    default:
      return [{ action: `dynamodb:${operation}`, resource: body.TableName ? table(body.TableName) : '*' }];
  }
}

export function stepFunctionsRequests(operation: string, body: Body): Request[] {
  // SendTask*: authorized on the state machine whose execution issued the token (as CDK's grantTaskResponse).
  const tokenMachine = typeof body.taskToken === 'string' ? decodeTaskToken(body.taskToken)?.execution.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '') : undefined;
  const resource = String(tokenMachine ?? body.executionArn ?? body.stateMachineArn ?? '*');
  return [{ action: `states:${operation}`, resource }];
}

/** KMS Sign, Verify, GetPublicKey: the action on the key the request names (its ARN, as handlers pass it). */
export function kmsRequests(operation: string, body: Body, keyArn: (id: string) => string): Request[] {
  return [{ action: `kms:${operation}`, resource: keyArn(String(body.KeyId ?? '*')) }];
}

/** PutEvents needs events:PutEvents on the bus of each entry (the default bus when none is named). */
export function eventsRequests(operation: string, body: Body, busArn: (name: string) => string): Request[] {
  const entries = (Array.isArray(body.Entries) ? body.Entries : []) as { EventBusName?: string }[];
  const buses = new Set(entries.map((entry) => entry.EventBusName ?? 'default'));
  if (buses.size === 0) buses.add('default');
  return [...buses].map((bus) => ({ action: `events:${operation}`, resource: bus.startsWith('arn:') ? bus : busArn(bus) }));
}
