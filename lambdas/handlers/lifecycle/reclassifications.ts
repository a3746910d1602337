/**
 * Admin: POST /admin/reclassifications pins or unpins a study ({"study", "pins"}) or
 * re-evaluates the whole tenant after a policy change ({"all": true}) through the
 * re-classification workflow, answering 202 with where to follow it;
 * GET /admin/reclassifications/{execution} reports its status and counts.
 */
import { NotFoundError } from '#core/errors.ts';
import { config } from '#lambdas/config.ts';
import { tenantOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import { jsonBodyOf, pathParameter } from '#middleware/http-request.ts';
import { workflowStarted, workflowView } from '#middleware/workflow-responses.ts';
import { parseReclassification, startReclassification } from '#services/lifecycle/start-reclassification.ts';
import { describeTenantWorkflow } from '#services/tenant-workflows.ts';

const EXECUTION_NAME = /^reclassify-[0-9a-f]{24}-[0-9]{12}$/;

export const handler = httpHandler(async (event) => {
  const tenant = tenantOf(event);
  const execution = pathParameter(event, 'execution');
  if (event.httpMethod === 'GET' && execution) {
    if (!EXECUTION_NAME.test(execution)) throw new NotFoundError(`no re-classification ${execution.slice(0, 80)}`);
    return workflowView(await describeTenantWorkflow(config.reclassifyStateMachineArn(), execution, tenant));
  }
  const request = parseReclassification(jsonBodyOf(event, 'the body is not JSON', 'null'));
  if ('study' in request) noteAuditSubject(event, { patientId: undefined, studies: [request.study] });
  return workflowStarted(event, '/admin/reclassifications', await startReclassification(tenant, request));
}, { audit: 'adminWorkflow' });
