/**
 * The executions the local Step Functions keep, as its API serves them: a module of its own so
 * the API and the engine both depend on it and not on each other.
 */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number; // epoch seconds, as the JSON protocol sends dates
  stopDate?: number;
  input: string;
  output?: string;
  error?: string | undefined;
  cause?: string | undefined;
  /** The execution's event log (state entered/exited/retried/caught…), in order. */
  history: HistoryEvent[];
}

export interface HistoryEvent {
  type: string;
  timestamp: number;
  state?: string;
  index?: number;
  error?: string;
  cause?: string;
  /**
   * The data AWS keeps in the execution history (90 days), as JSON text: the execution's input
   * (ExecutionStarted), each state's input (StateEntered) and a task's effective input
   * (TaskScheduled, after InputPath and Parameters).
   */
  input?: string;
  /** The execution's output (ExecutionSucceeded), each state's (StateExited) and a task's result (TaskSucceeded). */
  output?: string;
}

/** What the API needs of the engine. */
export interface ExecutionControl {
  startExecution(stateMachineArn: string, input: string, requestedName?: string): ExecutionRecord;
  describeExecution(executionArn: string): ExecutionRecord;
  listExecutions(stateMachineArn: string, statusFilter?: string): ExecutionRecord[];
  stopExecution(executionArn: string, error?: string, cause?: string): ExecutionRecord;
  sendTaskSuccess(token: string, output: string): void;
  sendTaskFailure(token: string, error?: string, cause?: string): void;
}
