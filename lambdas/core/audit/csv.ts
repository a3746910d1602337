/** The audit trail as CSV (RFC 4180): one row per record, in the order of the JSON export. */
import type { SealedAuditRecord } from './hash-chain.ts';

const COLUMNS: readonly [string, (record: SealedAuditRecord) => string | number | boolean | undefined][] = [
  ['at', (r) => r.at],
  ['tenant', (r) => r.tenant],
  ['eventId', (r) => r.eventId],
  ['eventMeaning', (r) => r.eventMeaning],
  ['action', (r) => r.action],
  ['outcome', (r) => r.outcome],
  ['status', (r) => r.status],
  ['route', (r) => r.route],
  ['clientId', (r) => r.actor.clientId],
  ['actorTenant', (r) => r.actor.tenant],
  ['admin', (r) => r.actor.admin],
  ['acrossTenants', (r) => r.actor.acrossTenants],
  ['sourceIp', (r) => r.sourceIp],
  ['patientId', (r) => r.patientId],
  ['studies', (r) => r.studies.join(' ')],
  ['query', (r) => r.query],
  ['detail', (r) => (r.detail ? JSON.stringify(r.detail) : undefined)],
  ['requestId', (r) => r.requestId],
  ['shard', (r) => r.shard],
  ['seq', (r) => r.seq],
  ['prevHash', (r) => r.prevHash],
  ['hash', (r) => r.hash],
];

/**
 * A spreadsheet would run a cell that starts with = + - @ (or a tab or CR) as a formula (CSV
 * injection); such cells get a leading apostrophe. The JSON export keeps every value exact.
 */
export function cell(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export function auditCsv(records: readonly SealedAuditRecord[]): string {
  const lines = [COLUMNS.map(([name]) => name).join(','), ...records.map((record) => COLUMNS.map(([, get]) => cell(get(record))).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
