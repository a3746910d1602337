/**
 * Admin: `GET /audit` reads a tenant's audit trail by patient, client or time range, as JSON or
 * CSV (`?format=csv` or `Accept: text/csv`), a page at a time (`next` / Link rel="next");
 * `GET /audit/verification` re-checks the trail's hash chains. Both are recorded as Audit Log
 * Used (DCM 110101). The `tenant` parameter lets an administrator read another tenant's trail.
 */
import { auditCsv } from '#core/audit/csv.ts';
import { parseAuditQuery } from '#core/audit/query.ts';
import { BadRequestError } from '#core/errors.ts';
import { clock } from '#adapters/clock.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import { callerOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { header, publicBaseUrl, queryOf } from '#middleware/http-request.ts';
import { queryAudit } from '#services/audit/query-audit.ts';
import { verifyAuditTrail } from '#services/audit/verify-audit.ts';

export const handler = httpHandler(async (event) => {
  const pairs = queryOf(event);
  if (event.resource === '/audit/verification') {
    if (pairs.some(([name]) => name !== 'tenant')) throw new BadRequestError('verification takes one parameter: tenant');
    const tenant = pairs.find(([name]) => name === 'tenant')?.[1] || callerOf(event).tenant;
    const verification = await verifyAuditTrail(tenant);
    noteAuditSubject(event, { tenant, detail: { intact: verification.intact ? 'yes' : 'no', problems: verification.problems.length } });
    return { statusCode: 200, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, body: JSON.stringify(verification) };
  }
  const query = parseAuditQuery(pairs, header(event, 'accept'), clock.now());
  const tenant = query.tenant ?? callerOf(event).tenant;
  noteAuditSubject(event, { tenant, patientId: query.patientId });
  const page = await queryAudit(tenant, query);
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  if (page.next) {
    const next = new URLSearchParams(pairs.filter(([name]) => name !== 'cursor'));
    next.set('cursor', page.next);
    headers.Link = `<${publicBaseUrl(event)}/audit?${next}>; rel="next"`;
  }
  if (query.format === 'csv') return { statusCode: 200, headers: { ...headers, 'Content-Type': 'text/csv; charset=utf-8' }, body: auditCsv(page.records) };
  return { statusCode: 200, headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ records: page.records, ...(page.next ? { next: page.next } : {}) }) };
}, { audit: 'auditLogUsed' });
