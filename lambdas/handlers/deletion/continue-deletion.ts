/** Deletion workflow step (looped): carries a recorded deletion on while the step's time allows. */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { clock } from '#adapters/clock.ts';
import { continueDeletion } from '#services/deletion/continue-deletion.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

interface Input {
  tenant: string;
  id: string;
}

export const handler = middy(async (input: Input, context: Context) => ({
  tenant: input.tenant,
  id: input.id,
  ...(await continueDeletion(input.tenant, input.id, { now: clock.now(), clock: () => clock.now(), timeLeftMs: () => context.getRemainingTimeInMillis(), requestId: context.awsRequestId })),
})).use(workflowTask());
