/**
 * The data plane's requests seen as API Gateway proxy events (without a body), so the STOW-RS
 * and WADO-RS exchanges, the request helpers and the Caller contract (#middleware/caller.ts:
 * `requestContext.authorizer.claims`) read them exactly as they read the Lambda path's.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';

export type Claims = Record<string, string | undefined>;

export function requestEvent(req: IncomingMessage, url: URL, resource: string, pathParameters: Record<string, string>, claims: Claims | null): APIGatewayProxyEvent {
  // Null-prototype maps, as the local gateway builds them: a header named `__proto__` is just a name.
  const headers: Record<string, string> = Object.create(null);
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers[req.rawHeaders[i]!] = req.rawHeaders[i + 1]!;
  // Behind the load balancer it says https; a direct (local) connection is plain http.
  if (req.headers['x-forwarded-proto'] === undefined) headers['X-Forwarded-Proto'] = 'http';
  const query: Record<string, string> = Object.create(null);
  const multiQuery: Record<string, string[]> = Object.create(null);
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  const now = Date.now();
  return {
    resource,
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders: {},
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      authorizer: claims ? { claims } : null,
      domainName: req.headers.host ?? 'localhost',
      httpMethod: req.method ?? 'GET',
      path: url.pathname,
      requestId: randomUUID(),
      requestTimeEpoch: now,
      resourcePath: resource,
      stage: 'data-plane',
    } as APIGatewayProxyEvent['requestContext'],
  };
}
