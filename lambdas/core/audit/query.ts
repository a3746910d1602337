/**
 * `GET /audit` parameters: which trail (tenant), which key (patient, client, else time), the
 * time range, the page and the format. Each query is served by one GSI (docs/audit.md).
 */
import { BadRequestError } from '#core/errors.ts';

export interface AuditQuery {
  /** The tenant whose trail is read; the caller's own when absent. */
  readonly tenant?: string | undefined;
  readonly patientId?: string | undefined;
  readonly clientId?: string | undefined;
  /** Inclusive ISO 8601 bounds on the record time. */
  readonly from: string;
  readonly to: string;
  readonly limit: number;
  /** The time order key of the last record of the previous page. */
  readonly after?: string | undefined;
  readonly format: 'json' | 'csv';
}

export const AUDIT_PAGE_DEFAULT = 100;
export const AUDIT_PAGE_MAX = 1000;
/** A query by time alone walks one day partition after another: this many at most. */
export const AUDIT_MAX_DAYS = 366;
const DAY_MS = 86_400_000;

const PARAMETERS = new Set(['tenant', 'patient', 'client', 'from', 'to', 'limit', 'cursor', 'format']);
const CURSOR = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#\d+#\d{12}$/;

export function parseAuditQuery(pairs: readonly [string, string][], accept: string | undefined, now: Date): AuditQuery {
  const values = new Map<string, string>();
  for (const [name, value] of pairs) {
    if (!PARAMETERS.has(name)) throw new BadRequestError(`unknown parameter "${name.slice(0, 40)}"; use ${[...PARAMETERS].join(', ')}`);
    if (values.has(name)) throw new BadRequestError(`parameter "${name}" given twice`);
    values.set(name, value);
  }
  const text = (name: string) => {
    const value = values.get(name);
    if (value === undefined) return undefined;
    if (value === '' || value.length > 256) throw new BadRequestError(`${name} must be 1–256 characters`);
    return value;
  };
  const to = instant(values.get('to'), 'to', 'end') ?? now.toISOString();
  const patientId = text('patient');
  const clientId = text('client');
  const keyed = patientId !== undefined || clientId !== undefined;
  // By time alone, the last day unless told otherwise; a patient's or client's whole history otherwise.
  const from = instant(values.get('from'), 'from', 'start') ?? (keyed ? '0000-01-01T00:00:00.000Z' : new Date(Date.parse(to) - DAY_MS).toISOString());
  if (from > to) throw new BadRequestError('from must not be after to');
  if (!keyed && (Date.parse(to) - Date.parse(from)) / DAY_MS > AUDIT_MAX_DAYS) {
    throw new BadRequestError(`a query by time alone may span at most ${AUDIT_MAX_DAYS} days; add patient or client, or page through shorter ranges`);
  }
  const limitText = values.get('limit');
  const limit = limitText === undefined ? AUDIT_PAGE_DEFAULT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_PAGE_MAX) throw new BadRequestError(`limit must be an integer from 1 to ${AUDIT_PAGE_MAX}`);
  const after = values.has('cursor') ? decodeCursor(values.get('cursor')!) : undefined;
  const formatText = values.get('format');
  if (formatText !== undefined && formatText !== 'json' && formatText !== 'csv') throw new BadRequestError('format must be json or csv');
  const format = formatText ?? (/\btext\/csv\b/i.test(accept ?? '') ? 'csv' : 'json');
  return { tenant: text('tenant'), patientId, clientId, from, to, limit, after, format };
}

/** An ISO date (the whole day) or date-time; undefined when absent. */
function instant(value: string | undefined, name: string, edge: 'start' | 'end'): string | undefined {
  if (value === undefined) return undefined;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const ms = Date.parse(dateOnly ? `${value}T00:00:00.000Z` : value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) throw new BadRequestError(`${name} must be an ISO 8601 date or date-time (2026-12-01, 2026-12-01T10:00:00Z)`);
  return new Date(dateOnly && edge === 'end' ? ms + DAY_MS - 1 : ms).toISOString();
}

export function encodeCursor(timeOrder: string): string {
  return Buffer.from(timeOrder, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!CURSOR.test(decoded)) throw new BadRequestError('cursor is not one this archive issued');
  return decoded;
}

/** The position a cursor names: its shard and sequence number, with its time. */
export function cursorPosition(timeOrder: string): { at: string; shard: number; seq: number } {
  const [at = '', shard = '0', seq = '0'] = timeOrder.split('#');
  return { at, shard: Number(shard), seq: Number(seq) };
}

/** The UTC days from `from` to `to`, in order (`yyyy-mm-dd`). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let ms = Date.parse(from.slice(0, 10)); ms <= Date.parse(to); ms += DAY_MS) days.push(new Date(ms).toISOString().slice(0, 10));
  return days;
}
