/** Fixity sweep, step 1 (looped per tenant): re-hash the next studies from the tenant's saved position (services/fixity/fixity-sweep.ts). */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { fixitySweepStep, type FixitySweepStep } from '#services/fixity/fixity-sweep.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (step: FixitySweepStep, context: Context) => fixitySweepStep(step, () => context.getRemainingTimeInMillis())).use(workflowTask());
