/** Export workflow's last step: manifest, signed summary, COMPLETED and audited; or, caught, the failure recorded. */
import middy from '@middy/core';
import { finishExport, recordExportFailure } from '#services/exports/finish-export.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

interface Input {
  tenant: string;
  exportId: string;
  /** Set by the workflow's Catch: the error of the step that failed. */
  failure?: { Error?: string; Cause?: string };
}

export const handler = middy(async (input: Input, context: { awsRequestId?: string }) => {
  const requestId = context.awsRequestId ?? 'workflow';
  if (input.failure) return recordExportFailure(input.tenant, input.exportId, `${input.failure.Error ?? 'error'}: ${input.failure.Cause ?? ''}`, requestId);
  return finishExport(input.tenant, input.exportId, requestId);
}).use(workflowTask());
