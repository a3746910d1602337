/**
 * The local API Gateway (REST API, Lambda proxy integration): turns HTTP requests into proxy
 * events for the declared routes, enforces the same request limits, and writes the handler's
 * response back — buffered (base64 bodies decoded) or streamed (prelude + body, as API
 * Gateway's `responseTransferMode: STREAM` does). Routes that declare a scope need a bearer
 * token, verified as the Cognito authorizer does (local-identity.ts), whose claims reach the
 * handler in `requestContext.authorizer.claims`. Local-only admin routes under `/_local/` are
 * dispatched to `localRoutes` first: they need the admin scope, and exist only while the
 * runtime listens on loopback.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { ApiDeclaration, RouteDeclaration } from '#infra/system-types.ts';
import { PRELUDE_DELIMITER } from './lambda-globals.ts';
import { gatewayCors, type GatewayCors } from './gateway-cors.ts';
import type { LambdaHost } from './lambda-host.ts';
import type { LocalIdentity } from './local-identity.ts';
import { base64Length } from './binary-body.ts';
import { proxyEventHead } from './proxy-event.ts';
import { readAtMost } from './read-body.ts';
import { RouteTable } from '#core/routing/route-table.ts';
import { ADMIN_SCOPE } from '#core/identity/scopes.ts';

export type LocalRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

const INTEGRATION_TIMEOUT_MS = 29_000;
const EVENT_OVERHEAD_BYTES = 8 * 1024;
const STAGE = 'local';
/** The scope the `/_local/` admin endpoints require. */

export interface GatewayAccess {
  identity: LocalIdentity;
  /** Whether the API listens on loopback only; the `/_local/` endpoints are refused otherwise. */
  loopbackOnly: boolean;
}

export class LocalApiGateway {
  private readonly routes: RouteTable<RouteDeclaration>;
  private readonly cors: GatewayCors;

  constructor(
    private readonly api: ApiDeclaration,
    routes: readonly RouteDeclaration[],
    private readonly lambdas: LambdaHost,
    private readonly localRoutes: LocalRoute,
    private readonly access: GatewayAccess,
    private readonly log: (message: string) => void,
    /** The `allowedOrigins` setting (STRATA_ALLOWED_ORIGINS locally). */
    allowedOrigins: readonly string[] = ['*'],
  ) {
    this.routes = new RouteTable(routes);
    this.cors = gatewayCors(allowedOrigins);
  }

  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch((error: unknown) => {
      this.log(`gateway error: ${error instanceof Error ? error.stack : String(error)}`);
      if (!res.headersSent) gatewayResponse(res, this.cors, 502, 'Internal server error');
      else res.destroy();
    });
  };

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // API Gateway routes on the path as sent: no dot-segment resolution, no decoding, so
    // `…/instances/%2e%2e` is an instance UID (refused by the handler), never the series.
    const path = rawPath(req.url ?? '/');
    if (path.startsWith('/_local/') && path === url.pathname) {
      if (!this.access.loopbackOnly) {
        req.resume();
        return gatewayResponse(res, this.cors, 403, 'Forbidden: the /_local/ admin endpoints exist only while the runtime listens on loopback');
      }
      const verdict = await this.access.identity.authorize(req.headers.authorization, ADMIN_SCOPE);
      if (!verdict.ok) {
        req.resume();
        return gatewayResponse(res, this.cors, verdict.status, verdict.message);
      }
      if (await this.localRoutes(req, res, url)) return;
    }
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS' && this.routes.hasPath(path)) {
      // CORS preflight: a mock integration in AWS, never a Lambda invocation.
      res.writeHead(204, this.cors.preflight(header(req, 'origin'))).end();
      return;
    }
    const match = this.routes.match(method, path);
    if (!match) {
      req.resume();
      return gatewayResponse(res, this.cors, 404, `No route for ${method} ${path.slice(0, 200)}`);
    }
    // The authorizer runs before the integration: a refused request's body is never read.
    let claims: Record<string, string> | undefined;
    if (match.route.scope) {
      const verdict = await this.access.identity.authorize(req.headers.authorization, match.route.scope);
      if (!verdict.ok) {
        req.resume();
        return gatewayResponse(res, this.cors, verdict.status, verdict.message);
      }
      claims = verdict.claims;
    }
    const body = await readLimited(req, this.api.maxRequestBytes);
    if (!body) return gatewayResponse(res, this.cors, 413, this.api.requestTooLargeMessage);

    // The invocation payload is the event as JSON: its base64 body plus a few KB of the rest.
    if (base64Length(body.length) + EVENT_OVERHEAD_BYTES > this.api.maxLambdaPayloadBytes) {
      return gatewayResponse(res, this.cors, 413, this.api.requestTooLargeMessage);
    }
    // The body is base64-encoded into the event where the handler runs (binary-body.ts).
    const event = proxyEventHead(req, path, url.searchParams, match, STAGE, claims);
    if (this.lambdas.isStreaming(match.route.function)) return this.stream(match.route.function, event, body, res);
    return this.buffered(match.route.function, event, body, res);
  }

  private async buffered(name: string, event: unknown, body: Buffer, res: ServerResponse): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), INTEGRATION_TIMEOUT_MS)));
    let result: unknown;
    try {
      result = await Promise.race([this.lambdas.invoke(name, event, body), timeout]);
    } catch (error) {
      this.log(`${name} failed: ${error instanceof Error ? error.stack : String(error)}`);
      return gatewayResponse(res, this.cors, 502, 'Internal server error');
    } finally {
      clearTimeout(timer);
    }
    if (result === 'timeout') return gatewayResponse(res, this.cors, 504, 'Endpoint request timed out');
    const response = result as APIGatewayProxyResult | undefined;
    if (!response || typeof response.statusCode !== 'number') {
      this.log(`${name} returned a malformed proxy response`);
      return gatewayResponse(res, this.cors, 502, 'Internal server error');
    }
    const headers: Record<string, string | string[]> = {};
    for (const [key, value] of Object.entries(response.headers ?? {})) headers[key] = String(value);
    for (const [key, values] of Object.entries(response.multiValueHeaders ?? {})) headers[key] = values.map(String);
    const payload = response.body === undefined || response.body === null ? Buffer.alloc(0) : Buffer.from(response.body, response.isBase64Encoded ? 'base64' : 'utf8');
    headers['Content-Length'] = String(payload.length);
    res.writeHead(response.statusCode, headers);
    res.end(payload);
  }

  /** Reads the prelude written by `HttpResponseStream.from`, then pipes the body through. */
  private async stream(name: string, event: unknown, body: Buffer, res: ServerResponse): Promise<void> {
    const invocation = await this.lambdas.invokeStreaming(name, event, body);
    let pending = Buffer.alloc(0);
    let prelude: { statusCode?: number; headers?: Record<string, string>; cookies?: string[] } | undefined;
    const start = (status: number, headers: Record<string, string>) => {
      res.writeHead(status, headers);
    };
    try {
      for await (const chunk of invocation.stream) {
        if (res.headersSent) {
          if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
          continue;
        }
        pending = Buffer.concat([pending, chunk as Buffer]);
        const end = pending.indexOf(PRELUDE_DELIMITER);
        if (end < 0) continue;
        prelude = JSON.parse(pending.subarray(0, end).toString('utf8'));
        const headers = { ...(prelude?.headers ?? {}) };
        start(prelude?.statusCode ?? 200, headers);
        const rest = pending.subarray(end + PRELUDE_DELIMITER.length);
        if (rest.length) res.write(rest);
      }
      if (!res.headersSent) {
        // A handler that streamed without a prelude: API Gateway sends 200 and the bytes.
        start(200, { 'Content-Type': 'application/octet-stream' });
        res.write(pending);
      }
      res.end();
    } catch (error) {
      this.log(`${name} failed while streaming: ${error instanceof Error ? error.stack : String(error)}`);
      if (!res.headersSent) gatewayResponse(res, this.cors, 502, 'Internal server error');
      else res.destroy();
    }
  }
}

/** API Gateway's own responses (no Lambda involved), with the CORS headers our CDK stack adds to them. */
export function gatewayResponse(res: ServerResponse, cors: GatewayCors, status: number, message: string): void {
  const payload = JSON.stringify({ message });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...cors.errorHeaders });
  res.end(payload);
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** The path of a request target as sent (origin form; the absolute form's path for proxies' requests). */
export function rawPath(target: string): string {
  const path = target.split('?')[0]!;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(path) ? path.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '') || '/' : path;
}

/** The whole body, or `undefined` once it passes `limit` bytes (the rest is drained). */
async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return undefined;
  }
  return readAtMost(req, limit);
}
