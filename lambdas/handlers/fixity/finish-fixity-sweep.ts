/** Fixity sweep, step 2: publish the run's sums over tenants as Strata/Fixity metrics. */
import middy from '@middy/core';
import { finishFixitySweep, type SweepResult } from '#services/fixity/fixity-sweep.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (run: { reports: SweepResult[] }) => finishFixitySweep(run)).use(workflowTask());
