/**
 * Strata's middy stack for HTTP handlers: CORS on every response, StrataError → HTTP status
 * and JSON body, unknown errors → 500 with the request id only, one log line per request, and
 * one audit event per request of an audited handler (./audit.ts, docs/audit.md).
 */
import middy from '@middy/core';
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Readable } from 'node:stream';
import { corsHeadersFor } from '#core/cors-policy.ts';
import { StrataError } from '#core/errors.ts';
import { config } from '#lambdas/config.ts';
import { assertUidPathParameters, header } from './http-request.ts';
import { auditRequest } from './audit.ts';
import { failsClosed, type AuditEventKind } from '#core/audit/events.ts';
import { AuditUnavailableError } from '#core/audit/errors.ts';
import { logger } from '#lambdas/observability/logger.ts';

export interface StreamedResult {
  statusCode: number;
  headers: Record<string, string>;
  body: Readable | string;
}

type HttpResult = APIGatewayProxyResult | StreamedResult;

/**
 * Records the request in the audit trail and returns the response to send: the same one, or,
 * when a read could not be recorded, a 503 instead — nothing is disclosed unrecorded, and the
 * prepared body (possibly an S3 stream) is dropped. Writes are answered as they happened.
 */
export async function audited<R extends { statusCode: number; body?: unknown }>(kind: AuditEventKind, event: APIGatewayProxyEvent, requestId: string, response: R): Promise<R | APIGatewayProxyResult> {
  if ((await auditRequest(kind, event, requestId, response.statusCode)) || !failsClosed(kind)) return response;
  const body = response.body as unknown;
  if (body && typeof (body as { destroy?: unknown }).destroy === 'function') (body as { destroy(): void }).destroy();
  return errorResponse(new AuditUnavailableError('the audit trail could not record this request; retry', { headers: { 'Retry-After': '1' } }), requestId);
}

/** The response's headers under the one CORS policy (a handler's own Vary is kept, Origin added). */
export function withCors(event: APIGatewayProxyEvent, headers: Record<string, string> | undefined): Record<string, string> {
  const cors = corsHeadersFor(config.allowedOrigins, header(event, 'origin'));
  const vary = [headers?.Vary, cors.Vary].filter(Boolean).join(', ');
  return { ...cors, ...headers, ...(vary ? { Vary: vary } : {}) };
}

export function errorResponse(error: unknown, requestId: string): APIGatewayProxyResult {
  if (error instanceof StrataError) {
    return {
      statusCode: error.statusCode,
      headers: { 'Content-Type': 'application/json', ...error.headers },
      body: JSON.stringify({ code: error.code, message: error.message, ...error.details, requestId }),
    };
  }
  logger.error('unhandled error', { error: error as Error, requestId });
  return {
    statusCode: 500,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code: 'InternalError', message: 'Internal error', requestId }),
  };
}

export interface HttpHandlerOptions {
  /** The audit event this handler's requests are (#core/audit/events.ts), or how to tell from the request; unaudited when absent (health). */
  readonly audit?: AuditEventKind | ((event: APIGatewayProxyEvent) => AuditEventKind);
}

type HttpRequest = middy.Request<APIGatewayProxyEvent, HttpResult, Error, Context>;

const requestIdOf = (request: HttpRequest) => request.context.awsRequestId ?? request.event.requestContext?.requestId;

function httpMiddleware(options: HttpHandlerOptions) {
  let started = 0;
  const auditKind = (event: APIGatewayProxyEvent) => (typeof options.audit === 'function' ? options.audit(event) : options.audit);
  return {
    before: (request: HttpRequest) => {
      started = performance.now();
      assertUidPathParameters(request.event);
    },
    after: async (request: HttpRequest) => {
      const kind = auditKind(request.event);
      if (kind && request.response) request.response = await audited(kind, request.event, requestIdOf(request), request.response);
      if (request.response) request.response.headers = withCors(request.event, request.response.headers as Record<string, string> | undefined);
      logRequest(request, started);
    },
    onError: async (request: HttpRequest) => {
      request.response = errorResponse(request.error, requestIdOf(request));
      request.response.headers = withCors(request.event, request.response.headers as Record<string, string> | undefined);
      // A refusal discloses nothing: an unwritten record is logged, the refusal stands.
      const kind = auditKind(request.event);
      if (kind) await auditRequest(kind, request.event, requestIdOf(request), request.response.statusCode);
      logRequest(request, started);
    },
  };
}

function logRequest(request: HttpRequest, started: number): void {
  logger.info('request', {
    method: request.event.httpMethod,
    resource: request.event.resource,
    status: request.response?.statusCode,
    ms: Math.round(performance.now() - started),
    requestId: request.context.awsRequestId,
  });
}

/** A buffered HTTP handler (response ≤ 6 MB). */
export function httpHandler(fn: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>, options: HttpHandlerOptions = {}) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>(fn).use(httpMiddleware(options) as never);
}

/** A streamed HTTP handler (Lambda response streaming; bodies up to 200 MB, memory bounded). */
export function streamingHttpHandler(fn: (event: APIGatewayProxyEvent, context: Context) => Promise<HttpResult>, options: HttpHandlerOptions = {}) {
  return middy<APIGatewayProxyEvent, HttpResult>(fn, { executionMode: executionModeStreamifyResponse }).use(httpMiddleware(options) as never);
}
