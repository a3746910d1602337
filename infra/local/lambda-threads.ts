/**
 * Worker threads for the Lambda host: Lambda runs concurrent instances of a function, and
 * here they let the handlers (the SDK's client side, DICOM parsing, hashing, base64) use a
 * core the main thread, busy with the emulators and the fidelity layer, cannot. Each thread
 * runs lambda-worker.ts; an invocation goes to an idle thread, a new one while there are fewer
 * than the pool's size, else the least busy, and a thread serves several invocations at once
 * (as the in-process host did) so a handler waiting on another function never waits for a
 * thread. `stop()` terminates the threads; invocations still running fail, as when Lambda's
 * instances go away, and nothing they had not written yet reaches the emulators after it.
 */
import type { PassThrough } from 'node:stream';
import { SHARE_ENV, Worker } from 'node:worker_threads';
import type { ContextFacts } from './lambda-context.ts';
import { rebuiltError, type HostMessage, type WorkerMessage, type WorkerSetup } from './lambda-wire.ts';

const WORKER = new URL('./lambda-worker-entry.mjs', import.meta.url);

/** What the pool needs of the local clock: its offset, and word when it moves. */
export interface SharedClock {
  readonly offset: number;
  onAdvance(listener: () => void): () => void;
}

export interface ThreadInvocation {
  url: string;
  event: unknown;
  /** Request bytes for the event's base64 body (binary-body.ts): copied once and transferred. */
  body?: Buffer | undefined;
  context: ContextFacts;
  /** Where a streaming handler's bytes go. */
  stream?: PassThrough;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  stream?: PassThrough | undefined;
}

class LambdaThread {
  readonly pending = new Map<number, Pending>();
  readonly worker: Worker;

  constructor(setup: WorkerSetup, gone: (thread: LambdaThread) => void) {
    this.worker = new Worker(WORKER, { workerData: setup, env: SHARE_ENV, execArgv: workerExecArgv() });
    this.worker.on('message', (message: WorkerMessage) => this.receive(message));
    const fail = (error: Error) => {
      gone(this);
      for (const pending of this.pending.values()) {
        pending.stream?.destroy(error);
        pending.reject(error);
      }
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the Lambda worker thread exited (code ${code})`)));
  }

  send(message: HostMessage, pending: Pending): void {
    this.pending.set(message.id, pending);
    const body = message.kind === 'invoke' ? message.body : undefined;
    this.worker.postMessage(message, body ? [body.buffer as ArrayBuffer] : []);
  }

  private receive(message: WorkerMessage): void {
    if (message.kind === 'output') {
      process[message.stream].write(message.text);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.kind === 'chunk') {
      const { id, chunk, bytes } = message;
      const ack = (error?: Error | null) => this.worker.postMessage({ kind: 'ack', id, chunk, ...(error ? { error: error.message } : {}) } satisfies HostMessage);
      if (!pending.stream || pending.stream.destroyed) return ack(new Error('the response stream was closed'));
      pending.stream.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), ack);
      return;
    }
    this.pending.delete(message.id);
    if (message.kind === 'result') {
      if (pending.stream && !pending.stream.writableEnded) pending.stream.end();
      pending.resolve(message.value);
    } else {
      const error = rebuiltError(message.error);
      pending.stream?.destroy(error);
      pending.reject(error);
    }
  }
}

export class LambdaThreads {
  private readonly threads: LambdaThread[] = [];
  private readonly offset = new SharedArrayBuffer(8);
  private readonly unsubscribe: () => void;
  private nextId = 0;
  private stopped = false;

  constructor(readonly size: number, clock: SharedClock | undefined) {
    const shared = new BigInt64Array(this.offset);
    const publish = () => Atomics.store(shared, 0, BigInt(clock?.offset ?? 0));
    publish();
    this.unsubscribe = clock ? clock.onAdvance(publish) : () => {};
  }

  invoke(invocation: ThreadInvocation): Promise<unknown> {
    const { stream, body, ...message } = invocation;
    // A copy the worker takes over (the caller's Buffer may share its memory with others).
    const bytes = body ? new Uint8Array(body) : undefined;
    return this.request((id) => ({ kind: 'invoke', id, ...message, ...(bytes ? { body: bytes } : {}), streaming: stream !== undefined }), stream);
  }

  /** Imports the handlers in one thread (a smoke test that they load there). */
  async load(urls: string[]): Promise<void> {
    await this.request((id) => ({ kind: 'load', id, urls }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    await Promise.all(this.threads.map((thread) => thread.worker.terminate()));
  }

  private request(message: (id: number) => HostMessage, stream?: PassThrough): Promise<unknown> {
    if (this.stopped) return Promise.reject(new Error('the local runtime has stopped; no function runs any more'));
    return new Promise((resolve, reject) => this.pick().send(message(++this.nextId), { resolve, reject, stream }));
  }

  private pick(): LambdaThread {
    const idle = this.threads.find((thread) => thread.pending.size === 0);
    if (idle) return idle;
    if (this.threads.length < this.size) {
      const thread = new LambdaThread({ clockOffset: this.offset }, (gone) => this.threads.splice(this.threads.indexOf(gone) >>> 0, 1));
      this.threads.push(thread);
      return thread;
    }
    return this.threads.reduce((least, thread) => (thread.pending.size < least.pending.size ? thread : least));
  }
}

/**
 * The host's Node options (--cpu-prof, --conditions…) without its TypeScript loader: the worker's
 * entry registers its own (inherited `--import tsx` does not take in a worker under Node 20).
 */
function workerExecArgv(): string[] {
  const args = process.execArgv;
  return args.filter((arg, i) => !arg.includes('tsx') && !(/^--(import|require|loader|experimental-loader)$/.test(arg) && args[i + 1]?.includes('tsx')));
}
