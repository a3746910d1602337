/**
 * The messages between the Lambda host and its worker threads (lambda-threads.ts,
 * lambda-worker.ts), and how a thrown error crosses: structured cloning keeps only the
 * standard error names and drops own properties, but Step Functions' Retry and Catch match
 * the error's name (e.g. `Strata.StudiesNotReclassified`) and callers read fields such as
 * `statusCode`, so the worker sends them as data and the host rebuilds the error.
 */
import type { ContextFacts } from './lambda-context.ts';

export interface WorkerSetup {
  /** The local clock's offset from real time in ms (an Int64 the host updates on every advance). */
  clockOffset: SharedArrayBuffer;
}

/** Host → worker. */
export type HostMessage =
  /** `body`: request bytes the worker encodes into the event (binary-body.ts). */
  | { kind: 'invoke'; id: number; url: string; event: unknown; body?: Uint8Array; context: ContextFacts; streaming: boolean }
  | { kind: 'load'; id: number; urls: string[] }
  /** The host took the streamed chunk `chunk` (backpressure: the handler's write completes then). */
  | { kind: 'ack'; id: number; chunk: number; error?: string };

/** Worker → host. */
export type WorkerMessage =
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'failure'; id: number; error: SentError }
  | { kind: 'chunk'; id: number; chunk: number; bytes: Uint8Array }
  /** Whatever the handlers wrote to stdout or stderr, in order, before the invocation's result. */
  | { kind: 'output'; stream: 'stdout' | 'stderr'; text: string };

export interface SentError {
  name: string;
  message: string;
  stack?: string;
  /** The error's own enumerable properties that survive JSON (statusCode, code, $metadata, …). */
  properties: Record<string, unknown>;
}

export function sendableError(thrown: unknown): SentError {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const properties: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    try {
      if (value !== undefined) properties[key] = JSON.parse(JSON.stringify(value)) as unknown;
    } catch {
      // not representable as data (a socket, a cycle): left behind, as Lambda's error document does
    }
  }
  return { name: error.name, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }), properties };
}

export function rebuiltError(sent: SentError): Error {
  const error = Object.assign(new Error(sent.message), sent.properties);
  Object.defineProperty(error, 'name', { value: sent.name, writable: true, configurable: true, enumerable: false });
  if (sent.stack !== undefined) error.stack = sent.stack;
  return error;
}
