/** Export workflow step: after a copy round, how many instances still wait for a restore. */
import middy from '@middy/core';
import { tallyExport, type TallyInput } from '#services/exports/tally-export.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (input: TallyInput) => tallyExport(input)).use(workflowTask());
