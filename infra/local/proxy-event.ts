/**
 * Builds the API Gateway REST (v1 payload) proxy event for a request, as API Gateway does
 * with every media type binary (binaryMediaTypes "*\/*"): the data plane's request event
 * (header case as sent, multi-value maps, URL-decoded query values) plus what API Gateway adds
 * — forwarding headers, account and API ids — and every non-empty body base64-encoded.
 * This is the event before its body, which the Lambda host adds where the handler runs
 * (binary-body.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { requestEvent } from '#handlers/data-plane/request-event.ts';
import type { RouteMatch } from '#core/routing/route-table.ts';

/** `claims`: the verified token's, placed where API Gateway's Cognito authorizer puts them. */
export function proxyEventHead(
  req: IncomingMessage,
  path: string,
  searchParams: URLSearchParams,
  match: RouteMatch,
  stage: string,
  claims?: Record<string, string>,
): APIGatewayProxyEvent {
  const event = requestEvent(req, { path, searchParams, resource: match.route.path, pathParameters: match.pathParameters, stage }, claims ?? null);
  const forwarded = {
    'X-Forwarded-For': req.socket.remoteAddress ?? '127.0.0.1',
    'X-Forwarded-Port': String(req.socket.localPort ?? ''),
    'X-Forwarded-Proto': 'http',
  };
  for (const [name, value] of Object.entries(forwarded)) {
    event.headers[name] = value;
    event.multiValueHeaders[name] = [value];
  }
  return {
    ...event,
    body: null,
    isBase64Encoded: false,
    requestContext: { ...event.requestContext, accountId: '000000000000', apiId: 'local', resourceId: 'local' },
  };
}
