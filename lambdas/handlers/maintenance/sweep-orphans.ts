/** Index maintenance, step 1 (looped per tenant): one page of the orphan sweep. */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { clock } from '#adapters/clock.ts';
import { sweepOrphansPage } from '#services/maintenance/sweep-orphans.ts';
import type { MaintenanceState } from './maintenance-state.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (state: MaintenanceState, context: Context): Promise<MaintenanceState> => ({
  ...state,
  sweep: await sweepOrphansPage(state.tenant, state.sweep ?? {}, clock.now(), () => context.getRemainingTimeInMillis()),
})).use(workflowTask());
