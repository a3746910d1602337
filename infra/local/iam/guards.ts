/**
 * The local endpoints' IAM check: each wraps an emulator's request listener, names the calling
 * function from its access key id, and refuses what its grants do not allow as AWS does
 * (S3: 403 AccessDenied; DynamoDB and Step Functions: 400 AccessDeniedException). An object
 * read that would answer 404 answers 403 AccessDenied to a function without s3:ListBucket on
 * the bucket, as S3 hides absence from callers that may not list. Requests with the process's
 * own key pass unchecked.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { readAll } from '#infra/local/read-body.ts';
import { dynamoRequests, eventsRequests, kmsRequests, stepFunctionsRequests } from './json-api-requests.ts';
import { deniedMessage, type LocalPolicies, type Request } from './policy.ts';
import { callerOf, restoreProcessKey } from './principals.ts';
import { s3Call } from './s3-requests.ts';

export type Guard = (listener: RequestListener) => RequestListener;

export function s3Guard(policies: LocalPolicies, account: string): Guard {
  return (listener) => (req, res) => {
    const fn = callerOf(req);
    if (fn === undefined) return listener(req, res);
    restoreProcessKey(req);
    const call = s3Call(req);
    const denied = call ? policies.firstDenied(fn, call.requests) : { action: 's3:ListAllMyBuckets', resource: '*' };
    if (denied) {
      req.resume();
      return sendS3Error(res, req.method === 'HEAD', deniedMessage(fn, denied, account));
    }
    if (call!.readsObject && !policies.allows(fn, { action: 's3:ListBucket', resource: `arn:aws:s3:::${call!.bucket}` })) {
      hideAbsence(res, req.method === 'HEAD', deniedMessage(fn, { action: 's3:ListBucket', resource: `arn:aws:s3:::${call!.bucket}` }, account));
    }
    listener(req, res);
  };
}

/** A JSON-protocol service (DynamoDB, Step Functions): the operation from X-Amz-Target, the resources from the body. */
export function jsonApiGuard(policies: LocalPolicies, account: string, requestsOf: (operation: string, body: Record<string, unknown>) => Request[]): Guard {
  return (listener) => (req, res) => {
    const fn = callerOf(req);
    if (fn === undefined) return listener(req, res);
    restoreProcessKey(req);
    void readAll(req).then((body) => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      const denied = policies.firstDenied(fn, requestsOf(operation, parseBody(body)));
      if (!denied) return listener(replay(req, body), res);
      const message = deniedMessage(fn, denied, account);
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', Message: message, message }));
    }, () => res.destroy()); // the caller went away mid-request (aborted, killed): nothing to answer
  };
}

export const dynamoGuard = (policies: LocalPolicies, account: string, tableArn: (name: string) => string, partitionKeyOf: (name: string) => string | undefined): Guard =>
  jsonApiGuard(policies, account, (operation, body) => dynamoRequests(operation, body, tableArn, partitionKeyOf));

export const stepFunctionsGuard = (policies: LocalPolicies, account: string): Guard => jsonApiGuard(policies, account, stepFunctionsRequests);

export const eventsGuard = (policies: LocalPolicies, account: string, busArn: (name: string) => string): Guard =>
  jsonApiGuard(policies, account, (operation, body) => eventsRequests(operation, body, busArn));

export const kmsGuard = (policies: LocalPolicies, account: string, keyArn: (id: string) => string): Guard =>
  jsonApiGuard(policies, account, (operation, body) => kmsRequests(operation, body, keyArn));

function parseBody(body: Buffer): Record<string, unknown> {
  try {
    const parsed = JSON.parse(body.toString('utf8') || '{}') as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {}; // the emulator answers the malformed request itself
  }
}

/** The request again, its body already read, for the emulator's listener. */
function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  return Object.assign(Readable.from([body]), { headers: req.headers, method: req.method, url: req.url, socket: req.socket, httpVersion: req.httpVersion }) as unknown as IncomingMessage;
}

function sendS3Error(res: ServerResponse, head: boolean, message: string): void {
  const body = head ? '' : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message></Error>`;
  res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body);
}

/** Turns the emulator's 404 into 403 AccessDenied, dropping whatever it writes after. */
function hideAbsence(res: ServerResponse, head: boolean, message: string): void {
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: Record<string, string | number>) => ServerResponse;
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  let hidden = false;
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    if (status !== 404) return (writeHead as (...args: unknown[]) => ServerResponse)(status, ...rest);
    hidden = true;
    const body = head ? '' : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message></Error>`;
    writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    end(body);
    return res;
  }) as ServerResponse['writeHead'];
  res.write = ((...args: Parameters<ServerResponse['write']>) => (hidden ? true : write(...args))) as ServerResponse['write'];
  res.end = ((...args: Parameters<ServerResponse['end']>) => (hidden ? res : end(...args))) as ServerResponse['end'];
}

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
