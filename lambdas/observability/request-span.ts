/**
 * One trace span per data-plane request, as Lambda's active tracing gives each function
 * invocation one segment: route, method, status, size and duration, an error mark on a 5xx and on
 * a client that went away mid-request. Through the OpenTelemetry API only: with no tracer provider
 * registered (locally, in tests) the span is a no-op; on Fargate main.ts registers one that sends
 * to the collector sidecar (trace-export.ts).
 *
 * The path is never recorded: it carries Study/Series/SOP Instance UIDs (PHI, docs/security.md);
 * the route template names the request instead.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

export const DATA_PLANE_TRACER = 'strata-data-plane';

/** Starts the span of `req`, ended when `res` closes (answered, or the connection gone). */
export function requestSpan(req: IncomingMessage, res: ServerResponse): Span {
  const method = req.method ?? 'GET';
  const span = trace.getTracer(DATA_PLANE_TRACER).startSpan(method, {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': method,
      ...(req.headers['content-length'] ? { 'http.request.body.size': Number(req.headers['content-length']) } : {}),
    },
  });
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (!res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR, message: 'connection closed before the response was complete' });
    else if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  return span;
}

/** Names the span by the route the request matched (its template, never the path). */
export function spanRoute(span: Span, method: string, route: string): void {
  span.updateName(`${method} ${route}`);
  span.setAttribute('http.route', route);
}

/** The id the request's log lines and audit record carry, to find them from the trace. */
export function spanRequestId(span: Span, requestId: string): void {
  span.setAttribute('strata.request_id', requestId);
}
