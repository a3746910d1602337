/** Legal-hold workflow, Map step: place or release the hold on a batch of studies (services/holds/apply-hold.ts). */
import middy from '@middy/core';
import { applyHoldToStudies, type HoldAction } from '#services/holds/apply-hold.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

interface Input {
  tenant: string;
  holdId: string;
  action: HoldAction;
  studies: string[];
}

export const handler = middy(async (input: Input) => applyHoldToStudies(input.tenant, input.holdId, input.action, input.studies)).use(workflowTask());
