/**
 * Admin: POST /admin/fixity-audits {"studyInstanceUID": "…"} starts a fixity audit and answers
 * 202 with where to follow it; GET /admin/fixity-audits/{execution} reports its status and result.
 */
import { BadRequestError } from '#core/errors.ts';
import { isUid } from '#core/dicom/uid.ts';
import { tenantOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import { jsonBodyOf, pathParameter } from '#middleware/http-request.ts';
import { workflowStarted, workflowView } from '#middleware/workflow-responses.ts';
import { fixityAudit, startFixityAudit } from '#services/fixity/fixity-audits.ts';

export const handler = httpHandler(async (event) => {
  const tenant = tenantOf(event);
  const execution = pathParameter(event, 'execution');
  if (event.httpMethod === 'GET' && execution) return workflowView(await fixityAudit(tenant, execution));
  const study = studyOfRequest(jsonBodyOf(event, OBJECT_EXPECTED, '{}'));
  const started = await startFixityAudit(tenant, study);
  noteAuditSubject(event, { patientId: started.patientId, studies: [study] });
  return workflowStarted(event, '/admin/fixity-audits', started.execution);
}, { audit: 'adminWorkflow' });

const OBJECT_EXPECTED = 'the body must be a JSON object: {"studyInstanceUID": "…"}';

function studyOfRequest(request: unknown): string {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) throw new BadRequestError(OBJECT_EXPECTED);
  const study = (request as { studyInstanceUID?: unknown }).studyInstanceUID;
  if (typeof study !== 'string' || !isUid(study)) throw new BadRequestError('studyInstanceUID must be a DICOM UID');
  return study;
}
