/**
 * Reading and checking the input of the local admin routes. Every value is checked before
 * any route changes anything, so a refused request leaves the runtime as it was.
 */
import type { IncomingMessage } from 'node:http';
import { readAtMost } from './read-body.ts';

/** Admin bodies are a few small fields; anything larger is a mistake or an attack. */
export const MAX_ADMIN_BODY_BYTES = 16 * 1024;

/** A refused admin request: its HTTP status and a message that says what to send instead. */
export class AdminInputError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AdminInputError';
  }
}

export type AdminBody = Record<string, unknown>;

/** The JSON object sent (an empty body is `{}`), with no fields other than `allowed`. */
export async function readAdminJson(req: IncomingMessage, allowed: readonly string[]): Promise<AdminBody> {
  const raw = await readAtMost(req, MAX_ADMIN_BODY_BYTES);
  if (!raw) throw new AdminInputError(413, `admin requests are JSON objects of at most ${MAX_ADMIN_BODY_BYTES} bytes`);
  const text = raw.toString('utf8').trim();
  let body: unknown = {};
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new AdminInputError(400, 'the body is not JSON');
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AdminInputError(400, 'the body must be a JSON object');
  const unknown = Object.keys(body).filter((name) => !allowed.includes(name));
  if (unknown.length) throw new AdminInputError(400, `unknown field(s) ${unknown.join(', ')}; expected ${allowed.join(', ')}`);
  return body as AdminBody;
}

interface StringRule {
  /** Longest accepted value, in UTF-8 bytes. */
  maxBytes: number;
  minBytes?: number;
  pattern?: RegExp;
  oneOf?: ReadonlySet<string>;
}

/** `body[name]` as a string satisfying `rule`; `fallback` when absent (an error when there is none). */
export function stringField(body: AdminBody, name: string, rule: StringRule, fallback?: string): string {
  const value = body[name] ?? fallback;
  if (typeof value !== 'string') throw new AdminInputError(400, `${name} must be a string`);
  const bytes = Buffer.byteLength(value);
  if (bytes > rule.maxBytes || bytes < (rule.minBytes ?? 0)) {
    throw new AdminInputError(400, `${name} must be ${rule.minBytes ?? 0} to ${rule.maxBytes} bytes long`);
  }
  if (rule.pattern && !rule.pattern.test(value)) throw new AdminInputError(400, `${name} must match ${rule.pattern.source}`);
  if (rule.oneOf && !rule.oneOf.has(value)) throw new AdminInputError(400, `${name} must be one of ${[...rule.oneOf].join(', ')}`);
  return value;
}

/** `body[name]` as an integer in [min, max]; `fallback` when absent (`undefined` if none). */
export function integerField(body: AdminBody, name: string, range: { min: number; max: number }, fallback?: number): number | undefined {
  const value = body[name] ?? fallback;
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < range.min || (value as number) > range.max) {
    throw new AdminInputError(400, `${name} must be an integer from ${range.min} to ${range.max}`);
  }
  return value as number;
}
