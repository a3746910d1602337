/** Legal-hold workflow, step 1: the hold's studies in batches for the Map (statemachines/legal-hold.asl.json). */
import middy from '@middy/core';
import { holdOf } from '#services/holds/read-holds.ts';
import type { HoldAction } from '#services/holds/apply-hold.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

interface Input {
  tenant: string;
  holdId: string;
  action: HoldAction;
}

/** Studies per Map iteration: each is one Lambda invocation, a handful of studies' instances. */
const BATCH = 5;

export const handler = middy(async (input: Input) => {
  const hold = await holdOf(input.tenant, input.holdId);
  const batches = [];
  for (let i = 0; i < hold.studies.length; i += BATCH) batches.push({ ...input, studies: hold.studies.slice(i, i + BATCH) });
  return { ...input, batches, studyCount: hold.studies.length };
}).use(workflowTask());
