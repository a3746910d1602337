/**
 * The Step Functions API (AWS JSON 1.0) over the local executions: StartExecution,
 * DescribeExecution, ListExecutions, StopExecution, a simplified GetExecutionHistory (with the
 * inputs and outputs AWS keeps), and
 * SendTaskSuccess / SendTaskFailure for callback tasks (step-functions-timers.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExecutionControl } from './step-functions-executions.ts';
import { readAll } from './read-body.ts';

export class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export function stepFunctionsApi(sfn: ExecutionControl) {
  return (req: IncomingMessage, res: ServerResponse): void => void serve(sfn, req, res);
}

async function serve(sfn: ExecutionControl, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = (await readAll(req)).toString('utf8');
  const operation = String(req.headers['x-amz-target'] ?? '').replace('AWSStepFunctions.', '');
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify(body));
  };
  try {
    const body = JSON.parse(text || '{}') as Record<string, string | undefined>;
    send(200, answer(sfn, operation, body));
  } catch (error) {
    if (error instanceof ApiError) return send(400, { __type: `com.amazonaws.swf.service.v2.model#${error.type}`, message: error.message });
    send(500, { __type: 'InternalFailure', message: error instanceof Error ? error.message : String(error) });
  }
}

function answer(sfn: ExecutionControl, operation: string, body: Record<string, string | undefined>): unknown {
  switch (operation) {
    case 'StartExecution': {
      const record = sfn.startExecution(body.stateMachineArn ?? '', body.input ?? '{}', body.name);
      return { executionArn: record.executionArn, startDate: record.startDate };
    }
    case 'DescribeExecution': {
      const { history: _history, ...description } = sfn.describeExecution(body.executionArn ?? '');
      return description;
    }
    case 'GetExecutionHistory':
      return {
        events: sfn.describeExecution(body.executionArn ?? '').history.map((event, index) => ({
          id: index + 1,
          timestamp: event.timestamp / 1000,
          type: event.type,
          ...(event.state ? { stateEnteredEventDetails: { name: event.state, ...(event.input === undefined ? {} : { input: event.input }) } } : {}),
          ...(event.output === undefined ? {} : { output: event.output }),
          ...(event.error ? { error: event.error } : {}),
          ...(event.cause ? { cause: event.cause } : {}),
        })),
      };
    case 'ListExecutions':
      return {
        executions: sfn
          .listExecutions(body.stateMachineArn ?? '', body.statusFilter)
          .map(({ executionArn, stateMachineArn, name, status, startDate, stopDate }) => ({ executionArn, stateMachineArn, name, status, startDate, stopDate })),
      };
    case 'StopExecution':
      return { stopDate: sfn.stopExecution(body.executionArn ?? '', body.error, body.cause).stopDate };
    case 'SendTaskSuccess':
      sfn.sendTaskSuccess(body.taskToken ?? '', body.output ?? '');
      return {};
    case 'SendTaskFailure':
      sfn.sendTaskFailure(body.taskToken ?? '', body.error, body.cause);
      return {};
    default:
      throw new ApiError('UnknownOperationException', `operation ${operation} is not supported by the local runtime`);
  }
}
