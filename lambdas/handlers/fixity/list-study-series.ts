/** Fixity audit, step 1: the series of the study (statemachines/fixity-audit.asl.json). */
import middy from '@middy/core';
import { seriesToAudit } from '#services/fixity/fixity-audits.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (input: { tenant: string; study: string }) => seriesToAudit(input.tenant, input.study)).use(workflowTask());
