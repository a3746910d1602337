/**
 * The Lambda host runs handlers in worker threads by default and in its own thread with
 * `workers: 0`; a handler must see the same in both: the local clock, its function identity, its
 * context, the environment, its log lines reaching the host's stdout before its answer, its
 * errors with their names and fields, and its streamed bytes in order. `stop()` ends the threads.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installClock } from '#adapters/clock.ts';
import { availableParallelism } from 'node:os';
import { defaultLambdaWorkers, LAMBDA_WORKERS_ENV, LambdaHost, type StreamedInvocation } from '#infra/local/lambda-host.ts';
import { PROJECT_ROOT } from '#infra/local/runtime.ts';
import { lambdaTaskFailure } from '#infra/local/step-functions.ts';
import type { FunctionDeclaration } from '#infra/system-types.ts';

const functions: Record<string, FunctionDeclaration> = {
  probe: { entry: 'test/fixtures/lambda/probe.ts', description: 'probe', memoryMb: 256, grants: [] },
  'probe-stream': { entry: 'test/fixtures/lambda/probe-stream.ts', description: 'streamed probe', streaming: true, grants: [] },
};

/** A clock like LocalClock: real time plus an offset that listeners hear about. */
class TestClock {
  offset = 0;
  private readonly listeners = new Set<() => void>();
  now = () => new Date(Date.now() + this.offset);
  advance(ms: number) {
    this.offset += ms;
    for (const listener of this.listeners) listener();
  }
  onAdvance(listener: () => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const DAY_MS = 86_400_000;

async function streamed(invocation: StreamedInvocation): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of invocation.stream) {
    chunks.push(chunk as Buffer);
    await new Promise((resolve) => setImmediate(resolve)); // a slow reader
  }
  await invocation.done;
  return Buffer.concat(chunks);
}

describe.each([
  { mode: 'worker threads', workers: 1 },
  { mode: 'the host thread', workers: 0 },
])('Lambda host: handlers in $mode', ({ workers }) => {
  const clock = new TestClock();
  let host: LambdaHost;

  beforeAll(() => {
    installClock(clock);
    host = new LambdaHost(PROJECT_ROOT, functions, { region: 'us-east-1', account: '000000000000' }, () => 30_000, { workers, clock });
  });
  afterAll(async () => {
    await host.stop();
    installClock();
  });
  afterEach(() => {
    delete process.env.STRATA_PROBE;
  });

  it('runs them where it says', () => {
    expect(host.workers).toBe(workers);
  });

  it('gives them the local clock, also after it moves', async () => {
    const before = Date.parse((await host.invoke('probe', { action: 'now' })) as string);
    clock.advance(400 * DAY_MS);
    const after = Date.parse((await host.invoke('probe', { action: 'now' })) as string);
    expect(after - before).toBeGreaterThanOrEqual(400 * DAY_MS);
    expect(after - before).toBeLessThan(401 * DAY_MS);
    expect(Math.abs(after - clock.now().getTime())).toBeLessThan(60_000);
  });

  it('runs each invocation as its function (its SDK calls carry its key id)', async () => {
    expect(await host.invoke('probe', { action: 'identity' })).toBe('probe');
  });

  it('passes the Lambda context', async () => {
    const context = (await host.invoke('probe', { action: 'context' })) as { functionName: string; memoryLimitInMB: string; remaining: number };
    expect(context).toMatchObject({ functionName: 'strata-probe', memoryLimitInMB: '256' });
    expect(context.remaining).toBeGreaterThan(0);
    expect(context.remaining).toBeLessThanOrEqual(30_000);
  });

  it("puts a request's bytes into the event base64-encoded, as API Gateway does with binary media types", async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255, 10, 13]);
    expect(await host.invoke('probe', { action: 'body' }, bytes)).toEqual({ body: bytes.toString('base64'), isBase64Encoded: true });
    expect(bytes).toEqual(Buffer.from([0, 1, 2, 250, 255, 10, 13])); // the caller's buffer is left as it was
    expect(await host.invoke('probe', { action: 'body' }, Buffer.alloc(0))).toEqual({ body: null, isBase64Encoded: false });
  });

  it('shares the environment as it is when the handler runs', async () => {
    process.env.STRATA_PROBE = 'set after the host started';
    expect(await host.invoke('probe', { action: 'env' })).toBe('set after the host started');
  });

  it("writes the handler's stdout to the host's before the answer", async () => {
    const lines: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: unknown) => lines.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      expect(await host.invoke('probe', { action: 'log', text: `{"probe":${workers}}` })).toBe('logged');
    } finally {
      process.stdout.write = write;
    }
    expect(lines.join('')).toContain(`{"probe":${workers}}\n`);
  });

  it("throws the handler's error with its name and fields, as Step Functions matches them", async () => {
    const error = (await host.invoke('probe', { action: 'throw' }).catch((thrown: unknown) => thrown)) as Error & Record<string, unknown>;
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'Strata.ProbeFailed', message: 'the probe failed', statusCode: 409, detail: { reason: 'asked to' } });
    expect(error.stack).toContain('probe.ts');
    expect(lambdaTaskFailure(error).name).toBe('Strata.ProbeFailed');
  });

  it('streams every byte in order, the prelude first', async () => {
    const body = await streamed(await host.invokeStreaming('probe-stream', { chunks: 40, size: 65_536 }));
    const prelude = body.indexOf(Buffer.alloc(8));
    expect(JSON.parse(body.subarray(0, prelude).toString())).toMatchObject({ statusCode: 200 });
    const bytes = body.subarray(prelude + 8);
    expect(bytes.length).toBe(40 * 65_536);
    for (let i = 0; i < 40; i++) expect(bytes[i * 65_536]).toBe(i);
  });

  it('ends the stream with the error of a handler that fails midway', async () => {
    const invocation = await host.invokeStreaming('probe-stream', { chunks: 10, size: 1024, failAfter: 3 });
    await expect(streamed(invocation)).rejects.toThrow('the stream broke');
    await expect(invocation.done).rejects.toThrow('the stream broke');
  });

  it('refuses a buffered invocation of a streaming function', async () => {
    await expect(host.invoke('probe-stream', { chunks: 1, size: 1 })).rejects.toThrow(/streams its response/);
  });
});

describe('Lambda host: stop() with worker threads', () => {
  it('serves other invocations while some wait, and ends the threads: what still runs fails, nothing runs after', async () => {
    const host = new LambdaHost(PROJECT_ROOT, functions, { region: 'us-east-1', account: '000000000000' }, () => 30_000, { workers: 2 });
    const hanging = [host.invoke('probe', { action: 'hang' }), host.invoke('probe', { action: 'hang' })];
    for (const invocation of hanging) invocation.catch(() => {});
    expect(await host.invoke('probe', { action: 'identity' })).toBe('probe');
    await host.stop();
    for (const invocation of hanging) await expect(invocation).rejects.toThrow(/exited/);
    await expect(host.invoke('probe', { action: 'identity' })).rejects.toThrow(/stopped/);
  });
});

describe('Lambda host: how many worker threads', () => {
  const saved = process.env[LAMBDA_WORKERS_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[LAMBDA_WORKERS_ENV];
    else process.env[LAMBDA_WORKERS_ENV] = saved;
  });

  it(`runs handlers in the main thread unless ${LAMBDA_WORKERS_ENV} asks for threads`, () => {
    delete process.env[LAMBDA_WORKERS_ENV];
    expect(defaultLambdaWorkers()).toBe(0);
    process.env[LAMBDA_WORKERS_ENV] = '3';
    expect(defaultLambdaWorkers()).toBe(3);
    process.env[LAMBDA_WORKERS_ENV] = 'auto';
    expect(defaultLambdaWorkers()).toBe(Math.max(1, availableParallelism() - 1));
  });

  it('refuses a setting that is not a count', () => {
    for (const value of ['-1', '1.5', 'two']) {
      process.env[LAMBDA_WORKERS_ENV] = value;
      expect(() => defaultLambdaWorkers()).toThrow(/whole number/);
    }
  });
});
