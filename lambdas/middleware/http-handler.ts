/**
 * Strata's middy stack for HTTP handlers: CORS on every response, StrataError → HTTP status
 * and JSON body, unknown errors → 500 with the request id only, and one log line per request.
 */
import middy from '@middy/core';
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Readable } from 'node:stream';
import { corsHeadersFor } from '#core/cors-policy.ts';
import { StrataError } from '#core/errors.ts';
import { config } from '#lambdas/config.ts';
import { assertUidPathParameters, header } from './http-request.ts';
import { logger } from '#lambdas/observability/logger.ts';

export interface StreamedResult {
  statusCode: number;
  headers: Record<string, string>;
  body: Readable | string;
}

type HttpResult = APIGatewayProxyResult | StreamedResult;

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
      body: JSON.stringify({ code: error.code, message: error.message, requestId }),
    };
  }
  logger.error('unhandled error', { error: error as Error, requestId });
  return {
    statusCode: 500,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code: 'InternalError', message: 'Internal error', requestId }),
  };
}

function httpMiddleware() {
  let started = 0;
  return {
    before: (request: middy.Request<APIGatewayProxyEvent, HttpResult, Error, Context>) => {
      started = performance.now();
      assertUidPathParameters(request.event);
    },
    after: (request: middy.Request<APIGatewayProxyEvent, HttpResult, Error, Context>) => {
      if (request.response) request.response.headers = withCors(request.event, request.response.headers as Record<string, string> | undefined);
      logRequest(request, started);
    },
    onError: (request: middy.Request<APIGatewayProxyEvent, HttpResult, Error, Context>) => {
      request.response = errorResponse(request.error, request.context.awsRequestId ?? request.event.requestContext?.requestId);
      request.response.headers = withCors(request.event, request.response.headers as Record<string, string> | undefined);
      logRequest(request, started);
    },
  };
}

function logRequest(request: middy.Request<APIGatewayProxyEvent, HttpResult, Error, Context>, started: number): void {
  logger.info('request', {
    method: request.event.httpMethod,
    resource: request.event.resource,
    status: request.response?.statusCode,
    ms: Math.round(performance.now() - started),
    requestId: request.context.awsRequestId,
  });
}

/** A buffered HTTP handler (response ≤ 6 MB). */
export function httpHandler(fn: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>(fn).use(httpMiddleware() as never);
}

/** A streamed HTTP handler (Lambda response streaming; bodies up to 200 MB, memory bounded). */
export function streamingHttpHandler(fn: (event: APIGatewayProxyEvent, context: Context) => Promise<HttpResult>) {
  return middy<APIGatewayProxyEvent, HttpResult>(fn, { executionMode: executionModeStreamifyResponse }).use(httpMiddleware() as never);
}
