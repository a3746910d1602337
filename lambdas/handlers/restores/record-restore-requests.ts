/** Restore workflow step: sums what S3 answered and ends a round that has nothing to wait for. */
import middy from '@middy/core';
import { recordRestoreRequests } from '#services/restores/restore-progress.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(recordRestoreRequests).use(workflowTask());
