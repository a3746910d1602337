/** Disposition, Purge: one page of soft-deleted studies destroyed (all versions), then the certificate. */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { clock } from '#adapters/clock.ts';
import { purgePage, writeCertificate } from '#services/disposition/purge.ts';
import { pageOutput, pagesWhileTimeLeft, stepInput, type StepOutput } from './step-input.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (input: unknown, context: Context): Promise<StepOutput> => {
  const request = stepInput(input, ['page', 'certificate']);
  const { tenant, id, step } = request;
  if (step === 'certificate') {
    await writeCertificate(tenant, id, clock.now());
    return { tenant, id };
  }
  return pageOutput(request, await pagesWhileTimeLeft(() => context.getRemainingTimeInMillis(), () => purgePage(tenant, id, clock.now())));
}).use(workflowTask());
