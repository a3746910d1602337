/**
 * The data plane: an HTTP service for the DICOMweb requests whose bodies outgrow API Gateway and
 * Lambda — STOW-RS of any size, and WADO-RS of whole studies, series and instances — served by
 * the same exchanges as the Lambda handlers (stow-exchange.ts, retrieve-exchange.ts),
 * with the request body streamed into the STOW pipeline and the response streamed out. Memory
 * is bounded by the pipeline (services/store-instances.ts), never by the request.
 *
 * Who may call is decided by `authorize` for every route that declares a scope; the verified
 * claims reach the handlers through the Caller contract, as API Gateway's authorizer hands them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Span } from '@opentelemetry/api';
import { pipeline } from 'node:stream/promises';
import type { Verdict } from '#core/identity/access-token.ts';
import { corsHeadersFor, preflightHeadersFor } from '#core/cors-policy.ts';
import { readMultipart } from '#core/dicomweb/multipart-stream.ts';
import { RouteTable } from '#core/routing/route-table.ts';
import { audited, errorResponse, withCors } from '#middleware/http-handler.ts';
import { assertUidPathParameters } from '#middleware/http-request.ts';
import { config } from '#lambdas/config.ts';
import { logger } from '#lambdas/observability/logger.ts';
import { requestSpan, spanRequestId, spanRoute } from '#lambdas/observability/request-span.ts';
import { retrieve } from '#handlers/retrieve-exchange.ts';
import { stow } from '#handlers/stow-exchange.ts';
import { requestEvent, type Claims } from './request-event.ts';

/** A route the data plane serves, with the scope its declaration requires. */
export interface DataPlaneRoute {
  method: string;
  path: string;
  scope?: string | undefined;
}

/**
 * The Cognito authorizer's decision for a request's Authorization header and its route's scope:
 * aws-jwt-verify against the user pool in AWS (adapters/identity/cognito-access-tokens.ts), the
 * local gateway's verifier locally.
 */
export type Authorize = (authorization: string | undefined, scope: string) => Promise<Verdict>;

export interface DataPlaneOptions {
  routes: readonly DataPlaneRoute[];
  authorize: Authorize;
  /** Parts up to this size are held whole (default SPOOL_BYTES); tests lower it to stream small fixtures. */
  spoolBytes?: number | undefined;
  /**
   * STOW-RS requests served at once: each may hold ~128 MiB (services/store-instances.ts), so the
   * task's memory sets the limit; more answer 503 + Retry-After, which clients retry. Unlimited when absent.
   */
  maxConcurrentStows?: number | undefined;
  /** Behind an ALB: the client's address is the last X-Forwarded-For entry (request-event.ts). */
  behindLoadBalancer?: boolean | undefined;
}

/** How long a client refused for load is asked to wait. */
const BUSY_RETRY_AFTER_SECONDS = 5;

export function dataPlaneListener(options: DataPlaneOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const routes = new RouteTable(options.routes);
  let stowsInFlight = 0;
  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('data plane request failed', { error: error as Error });
      if (!res.headersSent) send(res, 500, { 'Content-Type': 'application/json' }, JSON.stringify({ code: 'InternalError', message: 'Internal error' }));
      else res.destroy();
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://data-plane');
    const method = req.method ?? 'GET';
    if (url.pathname === '/health') return send(res, 200, { 'Content-Type': 'application/json' }, JSON.stringify({ status: 'ok' }));
    // Every request but the health checks (the load balancer's and the container's, several a minute) is traced.
    const span = requestSpan(req, res);
    const origin = req.headers.origin;
    if (method === 'OPTIONS' && (routes.match('GET', url.pathname) || routes.match('POST', url.pathname))) {
      req.resume();
      return send(res, 204, preflightHeadersFor(config.allowedOrigins, origin), '');
    }
    // The service's own answers carry CORS too, or browsers report "CORS error" instead of the status.
    const answer = (status: number, message: string, headers: Record<string, string> = {}) =>
      send(res, status, { ...corsHeadersFor(config.allowedOrigins, origin), 'Content-Type': 'application/json', ...headers }, JSON.stringify({ message }));
    const match = routes.match(method, url.pathname);
    if (!match) {
      req.resume();
      return answer(404, `No route for ${method} ${url.pathname.slice(0, 200)} on the data plane`);
    }
    spanRoute(span, method, match.route.path);
    if (method === 'POST' && options.maxConcurrentStows !== undefined && stowsInFlight >= options.maxConcurrentStows) {
      // Answer at once and close: reading a large body only to refuse it would cost what the limit saves.
      res.once('finish', () => req.destroy());
      return answer(503, `This data plane task is storing ${stowsInFlight} requests; retry in ${BUSY_RETRY_AFTER_SECONDS} s`, { 'Retry-After': String(BUSY_RETRY_AFTER_SECONDS), Connection: 'close' });
    }
    if (method === 'POST') stowsInFlight++;
    try {
      await serve(req, res, url, method, match, answer, span);
    } finally {
      if (method === 'POST') stowsInFlight--;
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse, url: URL, method: string, match: NonNullable<ReturnType<typeof routes.match>>, answer: (status: number, message: string) => void, span: Span): Promise<void> {
    let claims: Claims | null = null;
    if (match.route.scope !== undefined) {
      const verdict = await options.authorize(req.headers.authorization, match.route.scope);
      if (!verdict.ok) {
        req.resume();
        return answer(verdict.status, verdict.message);
      }
      claims = verdict.claims;
    }
    const event = requestEvent(req, { path: url.pathname, searchParams: url.searchParams, resource: match.route.path, pathParameters: match.pathParameters, stage: 'data-plane', behindLoadBalancer: options.behindLoadBalancer }, claims);
    spanRequestId(span, event.requestContext.requestId);
    let result: { statusCode: number; headers?: Record<string, unknown> | undefined; body: string | Readable };
    try {
      assertUidPathParameters(event);
      result = method === 'POST' ? await stow(event, (boundary) => readMultipart(req, boundary), options.spoolBytes ? { spoolBytes: options.spoolBytes } : {}) : await retrieve(event);
    } catch (error) {
      if (req.destroyed || req.readableAborted) return; // the client went away mid-request: no one to answer
      result = errorResponse(error, event.requestContext.requestId);
    }
    req.resume(); // a refused request's unread body
    // Audited as the same exchange through API Gateway is (docs/audit.md).
    result = await audited(method === 'POST' ? 'store' : 'retrieve', event, event.requestContext.requestId, result);
    const headers = withCors(event, result.headers as Record<string, string> | undefined);
    logger.info('request', { method, resource: match.route.path, status: result.statusCode, plane: 'data' });
    if (typeof result.body === 'string') return send(res, result.statusCode, headers, result.body);
    res.writeHead(result.statusCode, headers);
    await pipeline(result.body, res).catch(() => res.destroy());
  }
}

/**
 * The data plane's HTTP server, with the timeouts a STOW of any size needs: no limit on a whole
 * request (Node's default, 300 s, cut off a 1 GB STOW on a slow link with 408), a minute for its
 * headers, and keep-alive longer than the load balancer's idle timeout (120 s) so it never
 * reuses a connection the service has just closed (AWS's advice for ALB targets).
 */
export function createDataPlaneServer(options: DataPlaneOptions): Server {
  const server = createServer(dataPlaneListener(options));
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 130_000;
  return server;
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}
