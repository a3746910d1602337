/**
 * Admin: POST /admin/fixity-audits {"studyInstanceUID": "…"} starts a fixity audit
 * (statemachines/fixity-audit.asl.json) and answers 202 with where to follow it;
 * GET /admin/fixity-audits/{execution} reports its status and result.
 */
import { createHash } from 'node:crypto';
import { BadRequestError, NotFoundError } from '#core/errors.ts';
import { clock } from '#adapters/clock.ts';
import { getStudyDataset, listSeriesUids } from '#adapters/study-store.ts';
import { startWorkflow } from '#adapters/workflows.ts';
import { config } from '#lambdas/config.ts';
import { tenantOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import { patientIdOf } from '#core/audit/subjects.ts';
import { bodyOf, pathParameter } from '#middleware/http-request.ts';
import { workflowStarted, workflowView } from '#middleware/workflow-responses.ts';
import { isUid } from '#core/dicom/uid.ts';
import { describeTenantWorkflow } from '#services/tenant-workflows.ts';

/** The names this handler gives executions; anything else names no audit (and is no valid ARN part). */
const EXECUTION_NAME = /^fixity-[0-9a-f]{24}-[0-9]{12}$/;

export const handler = httpHandler(async (event) => {
  const stateMachineArn = config.fixityAuditStateMachineArn();
  const tenant = tenantOf(event);
  const execution = pathParameter(event, 'execution');
  if (event.httpMethod === 'GET' && execution) {
    if (!EXECUTION_NAME.test(execution)) throw new NotFoundError(`no fixity audit ${execution.slice(0, 80)}`);
    return workflowView(await describeTenantWorkflow(stateMachineArn, execution, tenant));
  }
  let request: unknown;
  try {
    request = JSON.parse(bodyOf(event).toString('utf8') || '{}');
  } catch {
    request = undefined;
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new BadRequestError('the body must be a JSON object: {"studyInstanceUID": "…"}');
  }
  const study = (request as { studyInstanceUID?: unknown }).studyInstanceUID;
  if (typeof study !== 'string' || !isUid(study)) throw new BadRequestError('studyInstanceUID must be a DICOM UID');
  // A study of another tenant is as absent as one never stored.
  if ((await listSeriesUids(tenant, study)).length === 0) throw new NotFoundError(`no study ${study} to audit`);
  const dataset = await getStudyDataset(tenant, study);
  noteAuditSubject(event, { patientId: dataset && patientIdOf(dataset), studies: [study] });
  // One audit per study per minute: a retried request starts nothing new (execution names are idempotent).
  const minute = clock.now().toISOString().slice(0, 16).replace(/[:T-]/g, '');
  const name = `fixity-${createHash('sha256').update(`${tenant}/${study}`).digest('hex').slice(0, 24)}-${minute}`;
  await startWorkflow(stateMachineArn, name, { tenant, study });
  return workflowStarted(event, '/admin/fixity-audits', name);
}, { audit: 'adminWorkflow' });
