/** Restore workflow step: the study's series, the pages the Map iterates. */
import middy from '@middy/core';
import { restorePages } from '#services/restores/restore-series.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(restorePages).use(workflowTask());
