/**
 * Runs the declared Lambda functions in this process: imports each handler module on first
 * use (its "cold start"), builds a Lambda context, and invokes it buffered or streamed.
 * The handler modules are the ones CDK bundles; nothing here changes them.
 */
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { FunctionDeclaration } from '#infra/system-types.ts';
import { runAsFunction } from './iam/function-identity.ts';
import { installLambdaGlobals, isStreamingHandler } from './lambda-globals.ts';

type BufferedHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface StreamedInvocation {
  streamed: true;
  /** Everything the handler writes: prelude, eight NUL bytes, then the body. */
  stream: PassThrough;
  done: Promise<void>;
}

export class LambdaHost {
  private readonly loaded = new Map<string, Promise<unknown>>();

  constructor(
    private readonly root: string,
    private readonly functions: Readonly<Record<string, FunctionDeclaration>>,
    private readonly accountRegion: { region: string; account: string },
    /** Each function's time, as Lambda gives it in AWS (functionTimeoutSeconds). */
    private readonly timeoutMs: (name: string) => number,
  ) {
    installLambdaGlobals();
  }

  isStreaming(name: string): boolean {
    return this.declaration(name).streaming === true;
  }

  /** Invokes a buffered handler and returns its result; throws what the handler throws. */
  async invoke(name: string, event: unknown): Promise<unknown> {
    const handler = await this.handler(name);
    if (isStreamingHandler(handler)) throw new Error(`${name} streams its response; use invokeStreaming`);
    return runAsFunction(name, () => (handler as BufferedHandler)(event, this.context(name)));
  }

  async invokeStreaming(name: string, event: unknown): Promise<StreamedInvocation> {
    const handler = await this.handler(name);
    if (!isStreamingHandler(handler)) throw new Error(`${name} does not stream its response`);
    const stream = new PassThrough();
    const done = runAsFunction(name, () => handler(event, stream, this.context(name))).then(
      () => {
        if (!stream.writableEnded) stream.end();
      },
      (error: unknown) => {
        stream.destroy(error instanceof Error ? error : new Error(String(error)));
        throw error;
      },
    );
    done.catch(() => {}); // surfaced through the stream; avoid an unhandled rejection here
    return { streamed: true, stream, done };
  }

  /** Imports every declared handler now (a smoke test that all of them load). */
  async loadAll(): Promise<void> {
    await Promise.all(Object.keys(this.functions).map((name) => this.handler(name)));
  }

  private declaration(name: string): FunctionDeclaration {
    const declaration = this.functions[name];
    if (!declaration) throw new Error(`no function "${name}" is declared`);
    return declaration;
  }

  private handler(name: string): Promise<unknown> {
    let loading = this.loaded.get(name);
    if (!loading) {
      const url = pathToFileURL(resolve(this.root, this.declaration(name).entry)).href;
      loading = import(url).then((module: { handler?: unknown }) => {
        if (typeof module.handler !== 'function') throw new Error(`${url} exports no handler`);
        return module.handler;
      });
      this.loaded.set(name, loading);
    }
    return loading;
  }

  private context(name: string): Context {
    // The handler sees its remaining time as in AWS; the local host does not cut it off.
    const deadline = Date.now() + this.timeoutMs(name);
    const { region, account } = this.accountRegion;
    return {
      callbackWaitsForEmptyEventLoop: false,
      functionName: `strata-${name}`,
      functionVersion: '$LATEST',
      invokedFunctionArn: localFunctionArn(name, region, account),
      memoryLimitInMB: String(this.declaration(name).memoryMb ?? 1024),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/strata-${name}`,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => {},
      fail: () => {},
      succeed: () => {},
    };
  }
}

export const localFunctionArn = (name: string, region: string, account: string) =>
  `arn:aws:lambda:${region}:${account}:function:strata-${name}`;
