/**
 * Starting an index maintenance run (statemachines/index-maintenance.asl.json) for one tenant, on
 * an administrator's request. Every request starts a run (maintenance is idempotent, so a retried
 * request costs a run, never a wrong count). The name carries the tenant (hashed: an id may be
 * 63 characters, a name 80) and the millisecond: two tenants asking in the same second, or one
 * asking again a moment after a run, each get their own run rather than the earlier one's.
 */
import { createHash } from 'node:crypto';
import { clock } from '#adapters/clock.ts';
import { startWorkflow } from '#adapters/workflows.ts';
import { config } from '#lambdas/config.ts';

export async function startIndexMaintenance(tenant: string): Promise<string> {
  const tenantPart = createHash('sha256').update(tenant).digest('hex').slice(0, 12);
  const name = `maintenance-${tenantPart}-${clock.now().toISOString().replace(/[:TZ.-]/g, '')}`;
  await startWorkflow(config.indexMaintenanceStateMachineArn(), name, { tenant });
  return name;
}
