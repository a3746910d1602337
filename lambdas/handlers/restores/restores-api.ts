/**
 * POST /restores ({"study": …} or {"patient": {"id": …}}, optional "tier" and "days") restores
 * archived studies ahead of a read and answers 202 with each study's restore; GET /restores
 * (optionally ?patient=<PatientID>, ?limit=) lists the tenant's restores, GET /restores/{id}
 * follows one: status, tier, expected ready time, instances total/restored.
 * Scope dicom.read: whoever may read a study may have it brought back (a WADO read would start
 * the same restore); docs/lifecycle.md.
 */
import { BadRequestError } from '#core/errors.ts';
import { parseRestoreRequest } from '#core/restores/restore-request.ts';
import { callerOf, tenantOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import { jsonBodyOf, pathParameter, publicBaseUrl, queryOf } from '#middleware/http-request.ts';
import { listRestores, requestRestores, restoreById } from '#services/restores/restore-requests.ts';

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}) => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;

export const handler = httpHandler(
  async (event) => {
    const tenant = tenantOf(event);
    const id = pathParameter(event, 'id');
    if (event.httpMethod === 'GET' && id !== undefined) {
      const { record, view } = await restoreById(tenant, id);
      noteAuditSubject(event, { patientId: record.patientId, studies: [record.study] });
      return json(200, view);
    }
    if (event.httpMethod === 'GET') {
      const query = new Map(queryOf(event));
      const limit = query.has('limit') ? Number(query.get('limit')) : DEFAULT_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new BadRequestError(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
      const patientId = query.get('patient');
      if (patientId !== undefined) noteAuditSubject(event, { patientId, studies: [] });
      return json(200, { restores: await listRestores(tenant, { patientId, limit }) });
    }
    const request = parseRestoreRequest(jsonBodyOf(event, 'the body is not JSON', 'null'));
    const answer = await requestRestores(tenant, request, callerOf(event).clientId);
    noteAuditSubject(event, { patientId: answer.patientId, studies: answer.studies.map((s) => s.study) });
    const base = `${publicBaseUrl(event)}/restores`;
    const studies = answer.studies.map((s) => (s.restore ? { ...s, location: `${base}/${s.restore.id}` } : s));
    const waiting = studies.some((s) => s.status === 'IN_PROGRESS');
    return json(waiting ? 202 : 200, { studies }, studies.length === 1 && studies[0]!.restore ? { Location: `${base}/${studies[0]!.restore.id}` } : {});
  },
  { audit: (event) => (event.httpMethod === 'POST' ? 'restoreRequest' : 'restoreStatus') },
);
