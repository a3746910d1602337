/** Re-classification step: re-evaluate one study and re-tag the objects whose class changed (statemachines/reclassify.asl.json). */
import middy from '@middy/core';
import { reclassifyStudy } from '#services/lifecycle/reclassify.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(reclassifyStudy).use(workflowTask());
