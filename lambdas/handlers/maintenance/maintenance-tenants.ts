/** Index maintenance, step 0: the tenants this run covers (statemachines/index-maintenance.asl.json maps over them). */
import middy from '@middy/core';
import { tenantsToMaintain } from '#services/maintenance/tenants-to-maintain.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (input: { tenant?: unknown }): Promise<{ tenant?: string; tenants: string[]; detailed: boolean }> => {
  // A scheduled run's input is EventBridge's event, with no tenant; it reports counts per tenant, not keys.
  const tenant = typeof input.tenant === 'string' ? input.tenant : undefined;
  return { ...(tenant ? { tenant } : {}), tenants: await tenantsToMaintain(tenant), detailed: tenant !== undefined };
}).use(workflowTask());
