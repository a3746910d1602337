/** Reading API Gateway REST proxy events: case-insensitive headers, base64 bodies, queries. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { quoteUid, uidProblem } from '#core/dicom/uid.ts';
import { BadRequestError } from '#core/errors.ts';
import { config } from '#lambdas/config.ts';

export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** The request body as bytes (API Gateway base64-encodes binary media types). */
export function bodyOf(event: APIGatewayProxyEvent): Buffer {
  if (event.body === null || event.body === undefined) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/**
 * The request body parsed as JSON; `invalid` is the 400's message when it is not JSON. An empty
 * body reads as `ifEmpty` when one is given (e.g. `'{}'`), else it is not JSON either.
 */
export function jsonBodyOf(event: APIGatewayProxyEvent, invalid: string, ifEmpty?: string): unknown {
  const text = bodyOf(event).toString('utf8');
  try {
    return JSON.parse(text === '' && ifEmpty !== undefined ? ifEmpty : text);
  } catch {
    throw new BadRequestError(invalid);
  }
}

/** Query parameters with every repeated value, in order. */
export function queryOf(event: APIGatewayProxyEvent): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    for (const value of values ?? []) pairs.push([name, value]);
  }
  if (pairs.length === 0) {
    for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) pairs.push([name, value]);
  }
  return pairs;
}

/** A path parameter, percent-decoded (API Gateway passes them as sent); 400 for a malformed escape. */
export function pathParameter(event: APIGatewayProxyEvent, name: string): string | undefined {
  const value = event.pathParameters?.[name];
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    throw new BadRequestError(`the path segment for ${name} has a malformed percent-escape`);
  }
}

/** Path parameters that name a study, series or instance: UIDs on every route that has them. */
const UID_PARAMETERS: Record<string, string> = { study: 'StudyInstanceUID', series: 'SeriesInstanceUID', instance: 'SOPInstanceUID' };

/**
 * Refuses (400) a request whose study, series or instance path segment is not a UID, before
 * any handler builds a key from it: `%2e%2e`, `1.2/3.4` or a 2 KB string name nothing.
 */
export function assertUidPathParameters(event: APIGatewayProxyEvent): void {
  for (const [name, element] of Object.entries(UID_PARAMETERS)) {
    const value = pathParameter(event, name);
    if (value === undefined) continue;
    const problem = uidProblem(value);
    if (problem) throw new BadRequestError(`${quoteUid(value)} is not a ${element}: a UID (PS3.5 9.1) ${problem}`);
  }
}

/**
 * The public base URL for RetrieveURL, BulkDataURI and Content-Location: the configured one
 * (custom domain) if set; else the host the client used, plus the stage on execute-api hosts.
 */
export function publicBaseUrl(event: APIGatewayProxyEvent): string {
  if (config.publicBaseUrl) return config.publicBaseUrl.replace(/\/$/, '');
  const host = header(event, 'host') ?? event.requestContext.domainName ?? 'localhost';
  const proto = header(event, 'x-forwarded-proto') ?? 'https';
  const stage = host.endsWith('.amazonaws.com') ? `/${event.requestContext.stage}` : '';
  return `${proto}://${host}${stage}`;
}
