/** Export workflow step: count what is in scope; the studies for the copy Map. */
import middy from '@middy/core';
import { planExport } from '#services/exports/plan-export.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (input: { tenant: string; exportId: string }) => planExport(input.tenant, input.exportId)).use(workflowTask());
