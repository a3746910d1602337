/** Disposition, Execute: one page of approved studies re-checked and soft-deleted, then the recovery window opens. */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { clock } from '#adapters/clock.ts';
import { openRecoveryWindow, softDeletePage } from '#services/disposition/soft-delete.ts';
import { pageOutput, pagesWhileTimeLeft, stepInput, type StepOutput } from './step-input.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (input: unknown, context: Context): Promise<StepOutput> => {
  const request = stepInput(input, ['page', 'window']);
  const { tenant, id, step } = request;
  if (step === 'window') return { tenant, id, ...(await openRecoveryWindow(tenant, id, clock.now())) };
  return pageOutput(request, await pagesWhileTimeLeft(() => context.getRemainingTimeInMillis(), () => softDeletePage(tenant, id, clock.now())));
}).use(workflowTask());
