/** Index maintenance, step 2 (looped per tenant): reconcile the counts of one page of studies. */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { clock } from '#adapters/clock.ts';
import { reconcileCountsPage } from '#services/maintenance/reconcile-counts.ts';
import type { MaintenanceState } from './maintenance-state.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (state: MaintenanceState, context: Context): Promise<MaintenanceState> => ({
  ...state,
  reconcile: await reconcileCountsPage(state.tenant, state.reconcile ?? {}, clock.now(), () => context.getRemainingTimeInMillis()),
})).use(workflowTask());
