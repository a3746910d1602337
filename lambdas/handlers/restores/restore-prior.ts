/** Prior prefetch step: restore one prior through the study restore records. */
import middy from '@middy/core';
import { restorePrior } from '#services/restores/prior-prefetch.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(restorePrior).use(workflowTask());
