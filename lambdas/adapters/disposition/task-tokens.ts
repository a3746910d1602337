/** Answering a workflow's callback task (the approval wait): the Step Functions API, as in AWS. */
import { InvalidToken, SendTaskFailureCommand, SendTaskSuccessCommand, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { ConflictError } from '#core/errors.ts';
import { sfnClient } from '#adapters/aws-clients.ts';

const gone = (error: unknown) => error instanceof TaskDoesNotExist || error instanceof TaskTimedOut || error instanceof InvalidToken;
const closed = () => new ConflictError('the workflow is no longer waiting for this approval (it ended, timed out or was answered)');

export async function completeTask(token: string, output: unknown): Promise<void> {
  await sfnClient().send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) })).catch((error: unknown) => {
    throw gone(error) ? closed() : error;
  });
}

export async function failTask(token: string, error: string, cause: string): Promise<void> {
  await sfnClient().send(new SendTaskFailureCommand({ taskToken: token, error, cause })).catch((failure: unknown) => {
    throw gone(failure) ? closed() : failure;
  });
}
