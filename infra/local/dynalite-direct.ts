/**
 * dynalite's request handler called in this process, without a socket: the transaction proxy
 * (dynamodb-transactions.ts) hands it every request and makes its own reads and writes
 * through it. dynalite still parses, validates and answers each request exactly as over HTTP
 * (the same handler, the same JSON); only the loopback hop — a second HTTP client and server
 * for every DynamoDB call, on the one main thread — is gone.
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, Server } from 'node:http';

export interface DirectResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export type DirectCall = (request: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer }) => Promise<DirectResponse>;

/** What dynalite's handler uses of a request and a response (dynalite/index.js, httpHandler and sendData). */
type Handler = (req: EventEmitter & { method: string; url: string; headers: IncomingHttpHeaders }, res: object) => void;

export function directCaller(server: Server): DirectCall {
  const handler = server.listeners('request')[0] as Handler | undefined;
  if (!handler) throw new Error('dynalite has no request handler');
  return ({ method, url, headers, body }) =>
    new Promise((resolve, reject) => {
      const req = Object.assign(new EventEmitter(), { method, url, headers });
      const answer: Record<string, string> = {};
      const res = {
        statusCode: 200,
        contentType: undefined as string | undefined,
        setHeader(name: string, value: unknown) {
          answer[name.toLowerCase()] = String(value);
        },
        end(payload?: string | Buffer) {
          resolve({ status: res.statusCode, headers: answer, body: Buffer.from(payload ?? '') });
        },
      };
      handler(req, res);
      // As a socket would: the body arrives after the handler has subscribed.
      process.nextTick(() => {
        try {
          if (body.length) req.emit('data', body);
          req.emit('end');
        } catch (error) {
          reject(error as Error);
        }
      });
    });
}

/** The error a DynamoDB JSON answer describes, named as the SDK names it (`ConditionalCheckFailedException`, …). */
export class DynamoError extends Error {
  constructor(type: string, message: string) {
    super(message);
    this.name = type.split('#').pop()!;
  }
}

/**
 * One DynamoDB operation through `call`, as a signed client would send it (dynalite checks that
 * a signature is present, not its value), returning the parsed answer or throwing its error.
 */
export async function dynamoOperation<T = Record<string, unknown>>(call: DirectCall, operation: string, input: object): Promise<T> {
  const now = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const response = await call({
    method: 'POST',
    url: '/',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${operation}`,
      'x-amz-date': now,
      authorization: `AWS4-HMAC-SHA256 Credential=S3RVER/${now.slice(0, 8)}/local/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=local`,
    },
    body: Buffer.from(JSON.stringify(input)),
  });
  const parsed = JSON.parse(response.body.toString('utf8') || '{}') as Record<string, unknown>;
  if (response.status !== 200) throw new DynamoError(String(parsed.__type ?? 'InternalServerError'), String(parsed.message ?? parsed.Message ?? ''));
  return parsed as T;
}
