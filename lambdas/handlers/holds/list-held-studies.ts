/** Legal-hold workflow, step 1: the hold's studies in batches for the Map (statemachines/legal-hold.asl.json). */
import middy from '@middy/core';
import { getHold } from '#adapters/holds/hold-store.ts';
import type { HoldAction } from '#services/holds/apply-hold.ts';

interface Input {
  tenant: string;
  holdId: string;
  action: HoldAction;
}

/** Studies per Map iteration: each is one Lambda invocation, a handful of studies' instances. */
const BATCH = 5;

export const handler = middy(async (input: Input) => {
  const hold = await getHold(input.tenant, input.holdId);
  if (!hold) throw new Error('HoldNotFound');
  const batches = [];
  for (let i = 0; i < hold.studies.length; i += BATCH) batches.push({ ...input, studies: hold.studies.slice(i, i + BATCH) });
  return { ...input, batches, studyCount: hold.studies.length };
});
