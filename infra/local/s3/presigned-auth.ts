/**
 * Presigned URLs (SigV4 query authentication), checked as S3 checks them: the signature is
 * recomputed from the request (method, path, every query parameter but the signature, the signed
 * headers) with the local secret, and the URL's life (`X-Amz-Date` + `X-Amz-Expires`) is measured
 * on the local clock, so `npm run clock -- +2h` expires a one-hour URL as time would in AWS.
 * s3rver checks neither (its SigV4 check is a stub, and it reads the real clock).
 *
 * A URL signed with any local key id is checked against the one local secret: every local
 * credential (the process's, and each function's key id stamped on it) signs with that secret.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Why S3 refuses a presigned request: the status, code, message and the XML error's extra fields. */
export interface PresignedRefusal {
  status: number;
  code: string;
  message: string;
  fields: Record<string, string>;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** S3's longest presigned life: seven days. */
const MAX_EXPIRES_SECONDS = 604_800;
const REQUIRED = ['X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'];

/** RFC 3986 encoding, as SigV4 canonicalizes query names and values. */
const escape = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
const s3Time = (date: Date) => date.toISOString().replace(/\.\d+Z$/, 'Z');

/** `20261202T071049Z` → a Date; undefined when it is not SigV4's basic ISO 8601 form. */
function amzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The raw query's pairs, decoded (a `+` is a literal plus in SigV4, not a space). */
function queryPairs(rawQuery: string): [string, string][] {
  if (!rawQuery) return [];
  return rawQuery.split('&').filter(Boolean).map((pair) => {
    const at = pair.indexOf('=');
    const decode = (text: string) => {
      try {
        return decodeURIComponent(text);
      } catch {
        return text;
      }
    };
    return at < 0 ? [decode(pair), ''] : [decode(pair.slice(0, at)), decode(pair.slice(at + 1))];
  });
}

/**
 * The refusal S3 would answer a presigned request with, or undefined when it is not presigned
 * (header-signed requests are the IAM guard's) or its signature and life are good.
 */
export function presignedRefusal(req: IncomingMessage, secretAccessKey: string, now: Date): PresignedRefusal | undefined {
  const url = req.url ?? '/';
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  const pairs = queryPairs(mark < 0 ? '' : url.slice(mark + 1));
  const param = (name: string) => pairs.find(([key]) => key === name)?.[1];
  if (param('X-Amz-Algorithm') === undefined && param('X-Amz-Signature') === undefined) return undefined;

  const malformed = (message: string): PresignedRefusal => ({ status: 400, code: 'AuthorizationQueryParametersError', message, fields: {} });
  if (param('X-Amz-Algorithm') !== ALGORITHM) return malformed(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
  if (REQUIRED.some((name) => param(name) === undefined)) {
    return malformed(`Query-string authentication version 4 requires the X-Amz-Algorithm, ${REQUIRED.join(', ')} parameters.`);
  }
  const signedAt = amzDate(param('X-Amz-Date')!);
  if (!signedAt) return malformed('X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  const expires = Number(param('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 1) return malformed('X-Amz-Expires must be a positive integer');
  if (expires > MAX_EXPIRES_SECONDS) return malformed(`X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than ${MAX_EXPIRES_SECONDS} seconds`);
  const credential = param('X-Amz-Credential')!.split('/');
  if (credential.length !== 5 || credential[4] !== 'aws4_request') return malformed('Error parsing the X-Amz-Credential parameter');
  const [accessKeyId, day, region, service] = credential as [string, string, string, string, string];

  const signedHeaders = param('X-Amz-SignedHeaders')!.toLowerCase().split(';');
  const canonicalQuery = pairs
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [escape(key), escape(value)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : av > bv ? 1 : 0) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const headerValue = (name: string) => {
    const value = req.headers[name];
    return (Array.isArray(value) ? value.join(',') : (value ?? '')).trim().replace(/\s+/g, ' ');
  };
  const canonicalRequest = [
    req.method ?? 'GET',
    path,
    canonicalQuery,
    ...signedHeaders.map((name) => `${name}:${headerValue(name)}`),
    '',
    signedHeaders.join(';'),
    param('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, param('X-Amz-Date')!, scope, sha256(canonicalRequest)].join('\n');
  const key = [day, region, service, 'aws4_request'].reduce<Buffer | string>((k, part) => hmac(k, part), `AWS4${secretAccessKey}`);
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'));
  const provided = Buffer.from(param('X-Amz-Signature')!);
  if (expected.length !== provided.length || !timingSafeEqual(expected, provided)) {
    return {
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      fields: { AWSAccessKeyId: accessKeyId, StringToSign: stringToSign, CanonicalRequest: canonicalRequest },
    };
  }
  const expiresAt = new Date(signedAt.getTime() + expires * 1000);
  if (now.getTime() > expiresAt.getTime()) {
    return {
      status: 403,
      code: 'AccessDenied',
      message: 'Request has expired',
      fields: { 'X-Amz-Expires': String(expires), Expires: s3Time(expiresAt), ServerTime: s3Time(now) },
    };
  }
  return undefined;
}
