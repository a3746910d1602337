/**
 * Discovery exports (scope legal.hold), within the caller's tenant (docs/exports.md):
 * POST /exports starts one for a hold or a QIDO query (202 + Location), GET /exports lists them,
 * GET /exports/{id} shows its progress and, once complete, time-limited download URLs of the
 * package's documents; GET /exports/{id}/files pages through its DICOM files with one URL each;
 * GET /exports/signing-key answers the signing key's id and public half (KMS GetPublicKey).
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BadRequestError, ConflictError, NotFoundError } from '#core/errors.ts';
import { exportView, isExportId, parseExportRequest, type ExportRecord } from '#core/exports/export.ts';
import { clock } from '#adapters/clock.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import { callerOf, tenantOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { jsonBodyOf, pathParameter, publicBaseUrl, queryOf } from '#middleware/http-request.ts';
import { startExport } from '#services/exports/start-export.ts';
import { exportOf, exportsOf, packageDocuments, packageFilesPage, signingKey } from '#services/exports/read-exports.ts';

const DEFAULT_PAGE = 500;
const MAX_PAGE = 1000;

export const handler = httpHandler(async (event) => {
  const tenant = tenantOf(event);
  const id = pathParameter(event, 'id');
  if (id !== undefined && !isExportId(id)) throw new NotFoundError(`no export ${id.slice(0, 80)}`);

  if (event.resource === '/exports/signing-key') {
    // The key packages are signed with, from KMS: what `npm run export -- verify` checks a package against.
    noteAuditSubject(event, { detail: { exportAction: 'signing-key' } });
    return json(200, await signingKey());
  }
  if (event.httpMethod === 'POST') {
    const actor = { tenant, clientId: callerOf(event).clientId, now: clock.now() };
    const record = await startExport(parseExportRequest(jsonBodyOf(event, 'the body must be JSON')), randomUUID(), actor);
    noteExport(event, record, 'start');
    const location = `${publicBaseUrl(event)}/exports/${record.id}`;
    return json(202, exportView(record), { Location: location });
  }
  if (id === undefined) {
    const exports = await exportsOf(tenant);
    noteAuditSubject(event, { detail: { exportAction: 'list', exports: exports.length } });
    return json(200, { exports: exports.map(({ tenant: _tenant, ...rest }) => rest) });
  }
  const record = await exportOf(tenant, id);
  if (event.resource === '/exports/{id}/files') {
    if (record.status !== 'COMPLETED') throw new ConflictError(`export ${id} is ${record.status}: its files can be downloaded once it is COMPLETED`);
    const page = await filesPage(event, record);
    noteExport(event, record, 'download', page.files.length);
    return json(200, page);
  }
  noteExport(event, record, 'read');
  return json(200, { ...exportView(record), ...(record.status === 'COMPLETED' ? { download: await documents(event, record) } : {}) });
}, { audit: 'discoveryExport' });

async function documents(event: APIGatewayProxyEvent, record: ExportRecord) {
  return { ...(await packageDocuments(record)), files: `${publicBaseUrl(event)}/exports/${record.id}/files` };
}

function filesPage(event: APIGatewayProxyEvent, record: ExportRecord) {
  const query = new Map(queryOf(event));
  const limit = query.has('limit') ? Number(query.get('limit')) : DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new BadRequestError(`limit must be 1..${MAX_PAGE}`);
  const after = query.get('after');
  if (after !== undefined && !/^FILE#[0-9.#]{1,200}$/.test(after)) throw new BadRequestError('after must be the next value of the previous page');
  return packageFilesPage(record, limit, after);
}

/** Who asked (the record's actor), for which export, patient and studies: the audit trail's view. */
function noteExport(event: APIGatewayProxyEvent, record: ExportRecord, action: string, files?: number): void {
  noteAuditSubject(event, {
    patientId: record.patientId,
    studies: record.studies,
    detail: { exportId: record.id, exportAction: action, status: record.status, ...(files === undefined ? {} : { files }) },
  });
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}) {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
