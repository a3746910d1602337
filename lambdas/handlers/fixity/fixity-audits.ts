/**
 * Admin: POST /admin/fixity-audits {"studyInstanceUID": "…"} starts a fixity audit and answers
 * 202 with where to follow it; GET /admin/fixity-audits/{execution} reports its status and result.
 */
import { BadRequestError } from '#core/errors.ts';
import { isUid } from '#core/dicom/uid.ts';
import { tenantOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import { bodyOf, pathParameter } from '#middleware/http-request.ts';
import { workflowStarted, workflowView } from '#middleware/workflow-responses.ts';
import { fixityAudit, startFixityAudit } from '#services/fixity/fixity-audits.ts';

export const handler = httpHandler(async (event) => {
  const tenant = tenantOf(event);
  const execution = pathParameter(event, 'execution');
  if (event.httpMethod === 'GET' && execution) return workflowView(await fixityAudit(tenant, execution));
  const study = studyOfRequest(bodyOf(event).toString('utf8'));
  const started = await startFixityAudit(tenant, study);
  noteAuditSubject(event, { patientId: started.patientId, studies: [study] });
  return workflowStarted(event, '/admin/fixity-audits', started.execution);
}, { audit: 'adminWorkflow' });

function studyOfRequest(text: string): string {
  let request: unknown;
  try {
    request = JSON.parse(text || '{}');
  } catch {
    request = undefined;
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new BadRequestError('the body must be a JSON object: {"studyInstanceUID": "…"}');
  }
  const study = (request as { studyInstanceUID?: unknown }).studyInstanceUID;
  if (typeof study !== 'string' || !isUid(study)) throw new BadRequestError('studyInstanceUID must be a DICOM UID');
  return study;
}
