/**
 * What a DynamoDB, Step Functions or EventBridge JSON request asks IAM for, from its `X-Amz-Target`
 * operation and body (Service Authorization Reference): a transaction needs the action of each
 * of its items, a batch its own action on each table.
 */
import type { Request } from './policy.ts';
import { decodeTaskToken } from '../step-functions-timers.ts';

type Body = Record<string, unknown>;

export function dynamoRequests(operation: string, body: Body, tableArn: (name: string) => string): Request[] {
  const table = (name: unknown, index?: unknown) => `${tableArn(String(name))}${index ? `/index/${String(index)}` : ''}`;
  const tablesOf = (items: unknown) => Object.keys((items ?? {}) as object);
  switch (operation) {
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return tablesOf(body.RequestItems).map((name) => ({ action: `dynamodb:${operation}`, resource: table(name) }));
    case 'TransactWriteItems':
    case 'TransactGetItems': {
      const actions: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };
      return ((body.TransactItems ?? []) as Record<string, { TableName?: string }>[]).flatMap((item) =>
        Object.entries(item).map(([kind, action]) => ({ action: `dynamodb:${actions[kind] ?? kind}`, resource: table(action.TableName) })),
      );
    }
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
