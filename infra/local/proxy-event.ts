/**
 * Builds the API Gateway REST (v1 payload) proxy event for a request, as API Gateway does
 * with every media type binary (binaryMediaTypes "*\/*"): header case as sent, multi-value maps, URL-decoded query
 * values, and every non-empty body base64-encoded.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { RouteMatch } from './route-table.ts';

/** `claims`: the verified token's, placed where API Gateway's Cognito authorizer puts them. */
export function proxyEvent(
  req: IncomingMessage,
  path: string,
  searchParams: URLSearchParams,
  match: RouteMatch,
  body: Buffer,
  stage: string,
  claims?: Record<string, string>,
): APIGatewayProxyEvent {
  // Null-prototype maps: a header or parameter named `valueOf` or `__proto__` is just a name.
  const headers: Record<string, string> = Object.create(null);
  const multiValueHeaders: Record<string, string[]> = Object.create(null);
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const forwarded = {
    'X-Forwarded-For': req.socket.remoteAddress ?? '127.0.0.1',
    'X-Forwarded-Port': String(req.socket.localPort ?? ''),
    'X-Forwarded-Proto': 'http',
  };
  for (const [name, value] of Object.entries(forwarded)) {
    headers[name] = value;
    multiValueHeaders[name] = [value];
  }

  const query: Record<string, string> = Object.create(null);
  const multiQuery: Record<string, string[]> = Object.create(null);
  for (const [name, value] of searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  const host = req.headers.host ?? 'localhost';
  const now = Date.now();

  return {
    resource: match.route.path,
    path,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(match.pathParameters).length ? match.pathParameters : null,
    stageVariables: null,
    body: body.length ? body.toString('base64') : null,
    isBase64Encoded: body.length > 0,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: claims ? { claims } : null,
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      httpMethod: req.method ?? 'GET',
      identity: {
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? null,
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        user: null,
        userArn: null,
      },
      path,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: match.route.path,
      stage,
    },
  };
}
