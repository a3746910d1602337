/**
 * An HTTP request seen as an API Gateway REST (v1 payload) proxy event, without its body: the
 * data plane's requests, so the STOW-RS and WADO-RS exchanges, the request helpers and the
 * Caller contract (#middleware/caller.ts: `requestContext.authorizer.claims`) read them exactly
 * as they read the Lambda path's; and the base of the local gateway's events
 * (infra/local/proxy-event.ts), which adds the body and what API Gateway itself adds.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';

export type Claims = Record<string, string | undefined>;

export interface RequestTarget {
  /** The path as sent (API Gateway routes on it undecoded, without dot-segment resolution). */
  path: string;
  searchParams: URLSearchParams;
  /** The route's template, e.g. `/dicom-web/studies/{study}`. */
  resource: string;
  pathParameters: Record<string, string>;
  stage: string;
  /** Behind a load balancer that appends the client's address to X-Forwarded-For (an ALB). */
  behindLoadBalancer?: boolean | undefined;
}

/**
 * The client's address as the audit trail records it: the socket's peer, or behind a load
 * balancer the last X-Forwarded-For entry — the one the load balancer appended; entries before it
 * are whatever the client claimed.
 */
export function clientAddress(req: IncomingMessage, behindLoadBalancer: boolean | undefined): string {
  const forwarded = behindLoadBalancer ? String(req.headers['x-forwarded-for'] ?? '').split(',').map((entry) => entry.trim()).filter(Boolean).at(-1) : undefined;
  return forwarded ?? req.socket.remoteAddress ?? '127.0.0.1';
}

export function requestEvent(req: IncomingMessage, target: RequestTarget, claims: Claims | null): APIGatewayProxyEvent {
  // Null-prototype maps: a header or parameter named `valueOf` or `__proto__` is just a name.
  const headers: Record<string, string> = Object.create(null);
  const multiValueHeaders: Record<string, string[]> = Object.create(null);
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  // Behind a load balancer the request says how it arrived; a direct connection is plain http.
  if (req.headers['x-forwarded-proto'] === undefined) {
    headers['X-Forwarded-Proto'] = 'http';
    multiValueHeaders['X-Forwarded-Proto'] = ['http'];
  }
  const query: Record<string, string> = Object.create(null);
  const multiQuery: Record<string, string[]> = Object.create(null);
  for (const [name, value] of target.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  const now = Date.now();
  const host = req.headers.host ?? 'localhost';
  return {
    resource: target.resource,
    path: target.path,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(target.pathParameters).length ? target.pathParameters : null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      authorizer: claims ? { claims } : null,
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      httpMethod: req.method ?? 'GET',
      // The audit trail records where a request came from.
      identity: { sourceIp: clientAddress(req, target.behindLoadBalancer), userAgent: req.headers['user-agent'] ?? null },
      path: target.path,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      requestTimeEpoch: now,
      resourcePath: target.resource,
      stage: target.stage,
    } as APIGatewayProxyEvent['requestContext'],
  };
}
