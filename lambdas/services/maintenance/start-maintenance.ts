/**
 * Starting an index maintenance run (statemachines/index-maintenance.asl.json) for one tenant, on
 * an administrator's request. One run per second: a retried request starts nothing new
 * (execution names are idempotent).
 */
import { clock } from '#adapters/clock.ts';
import { startWorkflow } from '#adapters/workflows.ts';
import { config } from '#lambdas/config.ts';

export async function startIndexMaintenance(tenant: string): Promise<string> {
  const name = `maintenance-${clock.now().toISOString().slice(0, 19).replace(/[:T-]/g, '')}`;
  await startWorkflow(config.indexMaintenanceStateMachineArn(), name, { tenant });
  return name;
}
