/** Export workflow step: one page of one study copied into the package (the Map's item, looped until done). */
import middy from '@middy/core';
import { copyExportPage, type PageInput } from '#services/exports/copy-export-page.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (input: PageInput, context: { getRemainingTimeInMillis?: () => number }) =>
  copyExportPage(input, () => context.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY),
).use(workflowTask());
