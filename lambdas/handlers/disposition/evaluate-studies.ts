/** Disposition, Evaluate (statemachines/disposition.asl.json): one page of candidates, then the report. */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { evaluatePage, writeReport } from '#services/disposition/evaluate.ts';
import { pageOutput, pagesWhileTimeLeft, stepInput, type StepOutput } from './step-input.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (input: unknown, context: Context): Promise<StepOutput> => {
  const request = stepInput(input, ['page', 'report']);
  const { tenant, id, step } = request;
  if (step === 'report') {
    await writeReport(tenant, id);
    return { tenant, id };
  }
  return pageOutput(request, await pagesWhileTimeLeft(() => context.getRemainingTimeInMillis(), () => evaluatePage(tenant, id)));
}).use(workflowTask());
