/**
 * `POST /dispositions/restore {"studyInstanceUID": "…"}`: brings a soft-deleted study back, in
 * full and byte-identical, while its disposition's recovery window is open (409 after it).
 */
import { BadRequestError } from '#core/errors.ts';
import { isUid } from '#core/dicom/uid.ts';
import { clock } from '#adapters/clock.ts';
import { tenantOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import { jsonBodyOf } from '#middleware/http-request.ts';
import { restoreStudy } from '#services/disposition/restore.ts';

const USAGE = 'the body must be {"studyInstanceUID": "<a DICOM UID>"}';

function studyOf(event: Parameters<typeof jsonBodyOf>[0]): string {
  const request = jsonBodyOf(event, USAGE, '{}');
  const study = (request as { studyInstanceUID?: unknown } | undefined)?.studyInstanceUID;
  if (typeof study !== 'string' || !isUid(study)) throw new BadRequestError(USAGE);
  return study;
}

export const handler = httpHandler(async (event) => {
  const tenant = tenantOf(event);
  const study = studyOf(event);
  noteAuditSubject(event, { studies: [study] });
  const restored = await restoreStudy(tenant, study, clock.now());
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ study, status: 'RESTORED', ...restored }) };
}, { audit: 'dispositionRestore' });
