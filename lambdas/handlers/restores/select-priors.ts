/** Prior prefetch step: the patient's earlier studies the policy names. */
import middy from '@middy/core';
import { selectStudyPriors } from '#services/restores/prior-prefetch.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(selectStudyPriors).use(workflowTask());
