/**
 * Admin: POST /admin/index-maintenance starts the index maintenance workflow
 * (statemachines/index-maintenance.asl.json: orphan sweep, then count reconciliation) and
 * answers 202 with where to follow it; GET /admin/index-maintenance/{execution} reports its
 * status and, once done, what it indexed, reported and corrected. It also runs on a schedule.
 */
import { clock } from '#adapters/clock.ts';
import { startWorkflow } from '#adapters/workflows.ts';
import { config } from '#lambdas/config.ts';
import { tenantOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { pathParameter } from '#middleware/http-request.ts';
import { workflowStarted, workflowView } from '#middleware/workflow-responses.ts';
import { describeTenantWorkflow } from '#services/tenant-workflows.ts';

export const handler = httpHandler(async (event) => {
  const stateMachineArn = config.indexMaintenanceStateMachineArn();
  const tenant = tenantOf(event);
  const execution = pathParameter(event, 'execution');
  if (event.httpMethod === 'GET' && execution) {
    return workflowView(await describeTenantWorkflow(stateMachineArn, execution, tenant));
  }
  // One run per second: a retried request starts nothing new (execution names are idempotent).
  const name = `maintenance-${clock.now().toISOString().slice(0, 19).replace(/[:T-]/g, '')}`;
  await startWorkflow(stateMachineArn, name, { tenant });
  return workflowStarted(event, '/admin/index-maintenance', name);
}, { audit: 'adminWorkflow' });
