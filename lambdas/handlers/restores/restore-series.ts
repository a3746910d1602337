/** Restore workflow step: RestoreObject for the unreadable archived instances of one series. */
import middy from '@middy/core';
import { restoreSeries } from '#services/restores/restore-series.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(restoreSeries).use(workflowTask());
