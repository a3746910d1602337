/** Re-classification step: the next page of studies to re-evaluate (statemachines/reclassify.asl.json). */
import middy from '@middy/core';
import { nextPage } from '#services/lifecycle/reclassify.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(nextPage).use(workflowTask());
