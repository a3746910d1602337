/**
 * Starting and following Step Functions workflows: the one interface handlers use. In AWS it
 * is the Step Functions API; locally the same client reaches infra/local/step-functions.ts.
 * What AWS keeps of an execution names no study, series or instance: an input's UIDs leave as
 * references (workflows/references.ts), and an output's references are resolved for the reader.
 */
import { DescribeExecutionCommand, ExecutionDoesNotExist, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { NotFoundError } from '#core/errors.ts';
import { sfnClient } from './aws-clients.ts';
import { resolveReferences, withReferences } from './workflows/references.ts';

const tenantOf = (input: unknown): string | undefined => {
  const tenant = (input as { tenant?: unknown } | undefined)?.tenant;
  return typeof tenant === 'string' ? tenant : undefined;
};

export interface ExecutionView {
  id: string;
  /** What the execution was started with (its tenant among it). */
  input: unknown;
  status: string;
  startedAt: string | undefined;
  stoppedAt: string | undefined;
  output: unknown;
  error: string | undefined;
  cause: string | undefined;
}

/** Starts an execution; the same name with the same input is idempotent (Standard workflows). */
export async function startWorkflow<T extends { tenant: string }>(stateMachineArn: string, name: string, input: T): Promise<string> {
  const referenced = await withReferences(input.tenant, input);
  const started = await sfnClient().send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(referenced) }));
  return started.executionArn!;
}

export async function describeWorkflow(stateMachineArn: string, name: string): Promise<ExecutionView> {
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  try {
    const execution = await sfnClient().send(new DescribeExecutionCommand({ executionArn }));
    const input = execution.input ? (JSON.parse(execution.input) as unknown) : undefined;
    const tenant = tenantOf(input);
    const output = execution.output ? (JSON.parse(execution.output) as unknown) : undefined;
    return {
      id: name,
      input: tenant ? await resolveReferences(tenant, input) : input,
      status: execution.status ?? 'UNKNOWN',
      startedAt: execution.startDate?.toISOString(),
      stoppedAt: execution.stopDate?.toISOString(),
      output: tenant && output !== undefined ? await resolveReferences(tenant, output) : output,
      error: execution.error,
      cause: execution.cause,
    };
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) throw new NotFoundError(`no execution ${name}`);
    throw error;
  }
}
