/**
 * The Lambda context object each invocation gets, built the same way on the main thread and in
 * a worker thread (lambda-worker.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface ContextFacts {
  name: string;
  region: string;
  account: string;
  memoryMb: number;
  /** The function's time (functionTimeoutSeconds), counted from now. */
  timeoutMs: number;
}

export function lambdaContext({ name, region, account, memoryMb, timeoutMs }: ContextFacts): Context {
  // The handler sees its remaining time as in AWS; the local host does not cut it off.
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `strata-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(name, region, account),
    memoryLimitInMB: String(memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/strata-${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export const localFunctionArn = (name: string, region: string, account: string) =>
  `arn:aws:lambda:${region}:${account}:function:strata-${name}`;
