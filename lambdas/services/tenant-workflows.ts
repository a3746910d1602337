/**
 * Following a workflow on behalf of a tenant: an execution started for another tenant is
 * "not found", exactly like one that never existed, so execution names reveal nothing.
 */
import { NotFoundError } from '#core/errors.ts';
import { describeWorkflow, type ExecutionView } from '#adapters/workflows.ts';

export async function describeTenantWorkflow(stateMachineArn: string, name: string, tenant: string): Promise<Omit<ExecutionView, 'input'>> {
  const { input, ...view } = await describeWorkflow(stateMachineArn, name);
  if ((input as { tenant?: unknown } | undefined)?.tenant !== tenant) throw new NotFoundError(`no execution ${name}`);
  return view;
}
