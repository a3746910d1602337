/**
 * A worker thread of the Lambda host (lambda-threads.ts): one concurrent "instance" of the
 * functions, as Lambda runs several. It gets from the host what a handler would get in AWS or
 * in the host's own thread: the same environment (shared), the local clock (a shared offset),
 * the streaming globals, and each invocation runs as its function (iam/function-identity.ts:
 * its SDK calls carry the function's key id). Handlers still reach the emulators over HTTP.
 *
 * What the handlers write to stdout and stderr goes to the host as messages, in order with the
 * results, so the host's stdout (its metrics sink, a test's capture) sees every line before
 * the invocation's answer, as it did with the handlers in its own thread.
 */
import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { installClock } from '#adapters/clock.ts';
import { runAsFunction } from './iam/function-identity.ts';
import { withBinaryBody } from './binary-body.ts';
import { lambdaContext } from './lambda-context.ts';
import { installLambdaGlobals, isStreamingHandler } from './lambda-globals.ts';
import { sendableError, type HostMessage, type WorkerMessage, type WorkerSetup } from './lambda-wire.ts';

const port = parentPort!;
const setup = workerData as WorkerSetup;
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const offset = new BigInt64Array(setup.clockOffset);
installClock({ now: () => new Date(Date.now() + Number(Atomics.load(offset, 0))) });
installLambdaGlobals();

for (const stream of ['stdout', 'stderr'] as const) {
  process[stream].write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    post({ kind: 'output', stream, text });
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    if (callback) queueMicrotask(callback);
    return true;
  }) as typeof process.stdout.write;
}

const handlers = new Map<string, Promise<unknown>>();
function handler(url: string): Promise<unknown> {
  let loading = handlers.get(url);
  if (!loading) {
    loading = import(url).then((module: { handler?: unknown }) => {
      if (typeof module.handler !== 'function') throw new Error(`${url} exports no handler`);
      return module.handler;
    });
    handlers.set(url, loading);
  }
  return loading;
}

/** Streamed chunks waiting for the host to take them. */
const unacknowledged = new Map<string, (error?: Error) => void>();
let chunks = 0;
const STREAM_BUFFER_BYTES = 1024 * 1024;

/**
 * The response stream a streaming handler writes to. One message is in flight at a time: what
 * the handler writes meanwhile is buffered (up to STREAM_BUFFER_BYTES, then its writes wait, as
 * on a slow client) and sent together when the host has taken the previous message.
 */
function responseStream(id: number): Writable {
  const send = (buffers: Buffer[], done: (error?: Error | null) => void) => {
    const number = ++chunks;
    unacknowledged.set(`${id}/${number}`, done);
    // One copy into a buffer of its own (Node's are often slices of a shared pool), transferred without another.
    const bytes = new Uint8Array(buffers.reduce((total, buffer) => total + buffer.length, 0));
    let offset = 0;
    for (const buffer of buffers) {
      bytes.set(buffer, offset);
      offset += buffer.length;
    }
    post({ kind: 'chunk', id, chunk: number, bytes }, [bytes.buffer as ArrayBuffer]);
  };
  return new Writable({
    highWaterMark: STREAM_BUFFER_BYTES,
    write: (chunk: Buffer, _encoding, done) => send([chunk], done),
    writev: (parts, done) => send(parts.map((part) => part.chunk as Buffer), done),
  });
}

async function invoke(message: Extract<HostMessage, { kind: 'invoke' }>): Promise<unknown> {
  const fn = await handler(message.url);
  const context = lambdaContext(message.context);
  const event = message.body ? withBinaryBody(message.event as object, message.body) : message.event;
  if (message.streaming !== isStreamingHandler(fn)) {
    throw new Error(`${message.context.name} ${message.streaming ? 'does not stream its response' : 'streams its response; use invokeStreaming'}`);
  }
  if (!message.streaming) return runAsFunction(message.context.name, () => (fn as (event: unknown, context: unknown) => Promise<unknown>)(event, context));
  const stream = responseStream(message.id);
  const finished = new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve);
    stream.once('error', reject);
  });
  await runAsFunction(message.context.name, () => (fn as (event: unknown, stream: Writable, context: unknown) => Promise<unknown>)(event, stream, context));
  if (!stream.writableEnded) stream.end();
  await finished;
  return undefined;
}

port.on('message', (message: HostMessage) => {
  if (message.kind === 'ack') {
    const key = `${message.id}/${message.chunk}`;
    const done = unacknowledged.get(key);
    unacknowledged.delete(key);
    done?.(message.error === undefined ? undefined : new Error(message.error));
    return;
  }
  const work = message.kind === 'load' ? Promise.all(message.urls.map(handler)).then(() => undefined) : invoke(message);
  work
    .then((value) => post({ kind: 'result', id: message.id, value }))
    // A failed handler, or a result that cannot be cloned (Lambda fails to serialize it too).
    .catch((error: unknown) => post({ kind: 'failure', id: message.id, error: sendableError(error) }));
});
