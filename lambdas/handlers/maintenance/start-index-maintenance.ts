/**
 * Admin: POST /admin/index-maintenance starts the index maintenance workflow for the caller's
 * tenant (statemachines/index-maintenance.asl.json: orphan sweep, then count reconciliation) and
 * answers 202 with where to follow it; GET /admin/index-maintenance/{execution} reports its
 * status and, once done, what it indexed, reported and corrected. It also runs on a schedule,
 * then for every tenant.
 */
import { config } from '#lambdas/config.ts';
import { tenantOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { pathParameter } from '#middleware/http-request.ts';
import { workflowStarted, workflowView } from '#middleware/workflow-responses.ts';
import { startIndexMaintenance } from '#services/maintenance/start-maintenance.ts';
import { describeTenantWorkflow } from '#services/tenant-workflows.ts';

export const handler = httpHandler(async (event) => {
  const tenant = tenantOf(event);
  const execution = pathParameter(event, 'execution');
  if (event.httpMethod === 'GET' && execution) {
    return workflowView(await describeTenantWorkflow(config.indexMaintenanceStateMachineArn(), execution, tenant));
  }
  return workflowStarted(event, '/admin/index-maintenance', await startIndexMaintenance(tenant));
}, { audit: 'adminWorkflow' });
