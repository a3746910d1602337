/** DR audit, step 1 (looped per tenant): compare one page of the tenant's studies with the replica. */
import middy from '@middy/core';
import { auditReplicaStep, type TenantAuditStep } from '#services/dr/scheduled-replica-audit.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (step: TenantAuditStep) => auditReplicaStep(step)).use(workflowTask());
