/**
 * Presigned uploads (docs/ingest.md), for instances too large for a STOW-RS request:
 * - POST /dicom-web/uploads {files:[{size, sha256?, name?}]} → 201: the upload's id and, per
 *   file, presigned UploadPart URLs straight to S3 and where to complete it;
 * - GET  /dicom-web/uploads/{id}/files/{file}/parts?first=&count= → more (or fresh) part URLs;
 * - POST /dicom-web/uploads/{id}/files/{file}/complete {parts:[{partNumber, etag}]} → the file's state;
 * - GET  /dicom-web/uploads/{id} → the STOW-style result per file.
 * Scope dicom.write; every key is the caller's tenant's.
 */
import { BadRequestError } from '#core/errors.ts';
import { clock } from '#adapters/clock.ts';
import { callerOf, tenantOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { jsonBodyOf, pathParameter, publicBaseUrl, queryOf } from '#middleware/http-request.ts';
import { completeFile, createUpload, partUrls, uploadReport } from '#services/uploads/upload-requests.ts';

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}) => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function uploadIdOf(id: string): string {
  if (!UPLOAD_ID.test(id)) throw new BadRequestError('an upload id is the UUID POST /dicom-web/uploads answered');
  return id;
}

function wholeNumber(value: string | undefined, name: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const number = Number(value);
  if (value === undefined || !/^[0-9]{1,6}$/.test(value) || !Number.isSafeInteger(number)) throw new BadRequestError(`${name} must be a whole number`);
  return number;
}

const DEFAULT_PART_URLS = 500;

export const handler = httpHandler(
  async (event) => {
    const tenant = tenantOf(event);
    const id = pathParameter(event, 'id');
    const now = clock.now();
    const service = `${publicBaseUrl(event)}/dicom-web`;
    if (id === undefined) {
      const body = jsonBodyOf(event, 'the body is not JSON', 'null');
      const created = await createUpload(tenant, callerOf(event).clientId, body, { now, serviceUrl: service, base: `${service}/uploads` });
      return json(201, created, { Location: created.location });
    }
    const upload = uploadIdOf(id);
    const file = pathParameter(event, 'file');
    if (file === undefined) return json(200, await uploadReport(tenant, upload, now));
    const n = wholeNumber(file, 'the file number');
    if (event.httpMethod === 'GET') {
      const query = new Map(queryOf(event));
      return json(200, await partUrls(tenant, upload, n, wholeNumber(query.get('first'), 'first', 1), wholeNumber(query.get('count'), 'count', DEFAULT_PART_URLS), now));
    }
    return json(200, await completeFile(tenant, upload, n, jsonBodyOf(event, 'the body is not JSON', 'null'), now));
  },
  { audit: (event) => (event.httpMethod === 'GET' && !event.pathParameters?.file ? 'uploadStatus' : 'store') },
);
