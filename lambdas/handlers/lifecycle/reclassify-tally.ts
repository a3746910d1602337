/** Re-classification step: add a page's counts to the totals (statemachines/reclassify.asl.json). */
import middy from '@middy/core';
import { tally } from '#services/lifecycle/reclassify.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(tally).use(workflowTask());
