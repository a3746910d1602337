/** Legal-hold workflow, last step: the hold is in S3 (or out of it) everywhere; the audit trail gets the counts. */
import middy from '@middy/core';
import { finishHoldWorkflow } from '#services/holds/finish-hold.ts';
import type { BatchCounts, HoldAction } from '#services/holds/apply-hold.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

interface Input {
  tenant: string;
  holdId: string;
  action: HoldAction;
  results: BatchCounts[];
}

export const handler = middy(async (input: Input, context: { awsRequestId?: string }) =>
  finishHoldWorkflow(input.tenant, input.holdId, input.action, input.results, context.awsRequestId ?? 'workflow'),
).use(workflowTask());
