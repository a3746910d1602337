/**
 * Runs the declared Lambda functions locally: imports each handler module on first use (its
 * "cold start"), builds a Lambda context, and invokes it buffered or streamed. By default the
 * handlers run in this thread. With `workers: N` (STRATA_LAMBDA_WORKERS=N) they run in worker
 * threads (lambda-threads.ts), as Lambda runs concurrent instances, and use a core besides the
 * main thread's emulators: not the default, as measured in docs/local-performance.md (more CPU
 * per unit of work, and cold starts in a new thread that a loaded machine stretches past API
 * Gateway's 29 s).
 * The handler modules are the ones CDK bundles; nothing here changes them.
 */
import { availableParallelism } from 'node:os';
import { PassThrough } from 'node:stream';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { FunctionDeclaration } from '#infra/system-types.ts';
import { runAsFunction } from './iam/function-identity.ts';
import { withBinaryBody } from './binary-body.ts';
import { lambdaContext, type ContextFacts } from './lambda-context.ts';
import { installLambdaGlobals, isStreamingHandler } from './lambda-globals.ts';
import { LambdaThreads, type SharedClock } from './lambda-threads.ts';

export { localFunctionArn } from './lambda-context.ts';

type BufferedHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface StreamedInvocation {
  streamed: true;
  /** Everything the handler writes: prelude, eight NUL bytes, then the body. */
  stream: PassThrough;
  done: Promise<void>;
}

export interface LambdaHostOptions {
  /** Worker threads for the handlers; 0 runs them in this thread. Default: STRATA_LAMBDA_WORKERS, else 0. */
  workers?: number;
  /** The local clock, which the worker threads' handlers read as this thread's do. */
  clock?: SharedClock;
}

export const LAMBDA_WORKERS_ENV = 'STRATA_LAMBDA_WORKERS';

/** STRATA_LAMBDA_WORKERS (`auto`: one per core beside the main thread's), else 0: the handlers in the main thread. */
export function defaultLambdaWorkers(): number {
  const configured = process.env[LAMBDA_WORKERS_ENV];
  if (configured === undefined || configured === '') return 0;
  if (configured === 'auto') return Math.max(1, availableParallelism() - 1);
  const workers = Number(configured);
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`${LAMBDA_WORKERS_ENV} must be a whole number ≥ 0 (0: handlers in the main thread) or auto, not "${configured}"`);
  return workers;
}

export class LambdaHost {
  private readonly loaded = new Map<string, Promise<unknown>>();
  private readonly threads: LambdaThreads | undefined;

  constructor(
    private readonly root: string,
    private readonly functions: Readonly<Record<string, FunctionDeclaration>>,
    private readonly accountRegion: { region: string; account: string },
    /** Each function's time, as Lambda gives it in AWS (functionTimeoutSeconds). */
    private readonly timeoutMs: (name: string) => number,
    options: LambdaHostOptions = {},
  ) {
    installLambdaGlobals();
    const workers = options.workers ?? defaultLambdaWorkers();
    this.threads = workers > 0 ? new LambdaThreads(workers, options.clock) : undefined;
  }

  /** How many worker threads may run handlers (0: they run in this thread). */
  get workers(): number {
    return this.threads?.size ?? 0;
  }

  isStreaming(name: string): boolean {
    return this.declaration(name).streaming === true;
  }

  /**
   * Invokes a buffered handler and returns its result; throws what the handler throws.
   * `body`: an API Gateway event's request bytes, which the handler gets base64-encoded in the
   * event's `body` (binary-body.ts), encoded in the thread that runs it.
   */
  async invoke(name: string, event: unknown, body?: Buffer): Promise<unknown> {
    if (this.threads) return this.threads.invoke({ url: this.url(name), event, body, context: this.facts(name) });
    const handler = await this.handler(name);
    if (isStreamingHandler(handler)) throw new Error(`${name} streams its response; use invokeStreaming`);
    const payload = body ? withBinaryBody(event as object, body) : event;
    return runAsFunction(name, () => (handler as BufferedHandler)(payload, lambdaContext(this.facts(name))));
  }

  async invokeStreaming(name: string, event: unknown, body?: Buffer): Promise<StreamedInvocation> {
    const stream = new PassThrough();
    let running: Promise<unknown>;
    if (this.threads) {
      running = this.threads.invoke({ url: this.url(name), event, body, context: this.facts(name), stream });
    } else {
      const handler = await this.handler(name);
      if (!isStreamingHandler(handler)) throw new Error(`${name} does not stream its response`);
      const payload = body ? withBinaryBody(event as object, body) : event;
      running = runAsFunction(name, () => handler(payload, stream, lambdaContext(this.facts(name))));
    }
    const done = running.then(
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
    const names = Object.keys(this.functions);
    if (this.threads) return this.threads.load(names.map((name) => this.url(name)));
    await Promise.all(names.map((name) => this.handler(name)));
  }

  /** Ends the worker threads (invocations still running in them fail); nothing to do in this thread. */
  async stop(): Promise<void> {
    await this.threads?.stop();
  }

  private declaration(name: string): FunctionDeclaration {
    const declaration = this.functions[name];
    if (!declaration) throw new Error(`no function "${name}" is declared`);
    return declaration;
  }

  private url(name: string): string {
    return pathToFileURL(resolve(this.root, this.declaration(name).entry)).href;
  }

  private handler(name: string): Promise<unknown> {
    let loading = this.loaded.get(name);
    if (!loading) {
      const url = this.url(name);
      loading = import(url).then((module: { handler?: unknown }) => {
        if (typeof module.handler !== 'function') throw new Error(`${url} exports no handler`);
        return module.handler;
      });
      this.loaded.set(name, loading);
    }
    return loading;
  }

  private facts(name: string): ContextFacts {
    const { region, account } = this.accountRegion;
    return { name, region, account, memoryMb: this.declaration(name).memoryMb ?? 1024, timeoutMs: this.timeoutMs(name) };
  }
}
