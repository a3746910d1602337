/** Disposition, Approve: parks the workflow's task token on the run until an administrator answers. */
import middy from '@middy/core';
import { awaitApproval } from '#services/disposition/approval.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (input: { tenant: string; id: string; taskToken: string }): Promise<void> => {
  await awaitApproval(input.tenant, input.id, input.taskToken);
}).use(workflowTask());
