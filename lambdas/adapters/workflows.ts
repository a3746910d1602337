/**
 * Starting and following Step Functions workflows: the one interface handlers use. In AWS it
 * is the Step Functions API; locally the same client reaches infra/local/step-functions.ts.
 */
import { DescribeExecutionCommand, ExecutionDoesNotExist, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { NotFoundError } from '#core/errors.ts';
import { sfnClient } from './aws-clients.ts';

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
export async function startWorkflow(stateMachineArn: string, name: string, input: unknown): Promise<string> {
  const started = await sfnClient().send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
  return started.executionArn!;
}

export async function describeWorkflow(stateMachineArn: string, name: string): Promise<ExecutionView> {
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  try {
    const execution = await sfnClient().send(new DescribeExecutionCommand({ executionArn }));
    return {
      id: name,
      input: execution.input ? JSON.parse(execution.input) : undefined,
      status: execution.status ?? 'UNKNOWN',
      startedAt: execution.startDate?.toISOString(),
      stoppedAt: execution.stopDate?.toISOString(),
      output: execution.output ? JSON.parse(execution.output) : undefined,
      error: execution.error,
      cause: execution.cause,
    };
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) throw new NotFoundError(`no execution ${name}`);
    throw error;
  }
}
