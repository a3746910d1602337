/**
 * Admin: POST /admin/fixity-audits {"studyInstanceUID": "…"} starts a fixity audit
 * (statemachines/fixity-audit.asl.json) and answers 202 with where to follow it;
 * GET /admin/fixity-audits/{execution} reports its status and result.
 */
import { createHash } from 'node:crypto';
import { BadRequestError } from '#core/errors.ts';
import { clock } from '#adapters/clock.ts';
import { describeWorkflow, startWorkflow } from '#adapters/workflows.ts';
import { config } from '#lambdas/config.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { bodyOf, pathParameter, publicBaseUrl } from '#middleware/http-request.ts';

const UID = /^[0-9]+(\.[0-9]+)*$/;

export const handler = httpHandler(async (event) => {
  const stateMachineArn = config.fixityAuditStateMachineArn();
  const execution = pathParameter(event, 'execution');
  if (event.httpMethod === 'GET' && execution) {
    const view = await describeWorkflow(stateMachineArn, execution);
    return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(view) };
  }
  let request: { studyInstanceUID?: unknown };
  try {
    request = JSON.parse(bodyOf(event).toString('utf8') || '{}') as typeof request;
  } catch {
    throw new BadRequestError('the body must be JSON: {"studyInstanceUID": "…"}');
  }
  const study = request.studyInstanceUID;
  if (typeof study !== 'string' || !UID.test(study)) throw new BadRequestError('studyInstanceUID must be a DICOM UID');
  // One audit per study per minute: a retried request starts nothing new (execution names are idempotent).
  const minute = clock.now().toISOString().slice(0, 16).replace(/[:T-]/g, '');
  const name = `fixity-${createHash('sha256').update(`${config.defaultTenant}/${study}`).digest('hex').slice(0, 24)}-${minute}`;
  await startWorkflow(stateMachineArn, name, { tenant: config.defaultTenant, study });
  const location = `${publicBaseUrl(event)}/admin/fixity-audits/${name}`;
  return {
    statusCode: 202,
    headers: { 'Content-Type': 'application/json', Location: location },
    body: JSON.stringify({ id: name, status: 'RUNNING', location }),
  };
});
