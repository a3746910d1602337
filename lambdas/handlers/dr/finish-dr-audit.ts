/** DR audit, step 2: a scheduled run publishes the tenants' sums to CloudWatch; a tenant's own run answers its report. */
import middy from '@middy/core';
import { finishDrAudit, type TenantAuditResult } from '#services/dr/scheduled-replica-audit.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (run: { tenant?: string; reports: TenantAuditResult[] }) => finishDrAudit(run)).use(workflowTask());
