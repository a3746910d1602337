/** Fixity audit, step 2 (one Map iteration): verify one series (services/fixity/verify-series.ts). */
import middy from '@middy/core';
import { verifySeries } from '#services/fixity/verify-series.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (input: { tenant: string; study: string; series: string }) => verifySeries(input.tenant, input.study, input.series)).use(workflowTask());
