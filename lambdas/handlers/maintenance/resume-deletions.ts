/** Index maintenance, step 1 per tenant: deletions nobody works on any more are carried on by a new workflow execution. */
import middy from '@middy/core';
import { clock } from '#adapters/clock.ts';
import { resumeStalledDeletions } from '#services/deletion/resume-deletions.ts';
import type { MaintenanceState } from './maintenance-state.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (state: MaintenanceState): Promise<MaintenanceState> => ({
  ...state,
  deletions: await resumeStalledDeletions(state.tenant, clock.now()),
})).use(workflowTask());
