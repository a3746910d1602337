/**
 * The globals the Lambda Node.js runtime provides for response streaming
 * (`awslambda.streamifyResponse`, `awslambda.HttpResponseStream`), so handlers built with
 * middy's streaming execution mode load and run unchanged in the local runtime.
 *
 * As in Lambda, `HttpResponseStream.from` writes the JSON prelude (status and headers)
 * followed by eight NUL bytes; the local API Gateway parses it back, as API Gateway does.
 */
import type { Writable } from 'node:stream';

export const STREAMING = Symbol.for('strata.local.streamingHandler');
export const PRELUDE_DELIMITER = Buffer.alloc(8);

type StreamingHandler = (event: unknown, responseStream: Writable, context: unknown) => Promise<unknown>;

const awslambda = {
  streamifyResponse(handler: StreamingHandler) {
    Object.defineProperty(handler, STREAMING, { value: true });
    return handler;
  },
  HttpResponseStream: {
    from(stream: Writable, prelude: Record<string, unknown>) {
      stream.write(JSON.stringify(prelude));
      stream.write(PRELUDE_DELIMITER);
      return stream;
    },
  },
};

/** Adds the streaming API to `globalThis.awslambda` (which other libraries may already have created). */
export function installLambdaGlobals(): void {
  const target = ((globalThis as { awslambda?: Record<string, unknown> }).awslambda ??= {});
  target.streamifyResponse ??= awslambda.streamifyResponse;
  target.HttpResponseStream ??= awslambda.HttpResponseStream;
}

export function isStreamingHandler(handler: unknown): handler is StreamingHandler {
  return typeof handler === 'function' && (handler as unknown as Record<symbol, unknown>)[STREAMING] === true;
}
