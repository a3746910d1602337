/**
 * Step Functions: runs the ASL files of statemachines/ with aws-local-stepfunctions, their
 * Lambda Task states bound to the local handlers, behind the Step Functions API
 * (step-functions-api.ts), so handlers start workflows with the real @aws-sdk/client-sfn.
 *
 * Executions are kept on disk; one still running when the runtime stops is marked ABORTED
 * at the next start (the local runtime does not resume executions).
 */
import './promise-with-resolvers.ts';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Guard } from './iam/guards.ts';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import type { Clock } from '#adapters/clock.ts';
import { allStates, readDefinitionText, substitute, type AslState } from '#infra/asl.ts';
import type { StateMachineDeclaration } from '#infra/system-types.ts';
import { localFunctionArn, type LambdaHost } from './lambda-host.ts';
import { ApiError, stepFunctionsApi } from './step-functions-api.ts';
import type { ExecutionControl, ExecutionRecord, ExecutionStatus, HistoryEvent } from './step-functions-executions.ts';
import { CALLBACK_SUFFIX, LocalTimers, LONGEST_REAL_TIMEOUT_SECONDS, type AdvancingClock } from './step-functions-timers.ts';

export type { ExecutionRecord, ExecutionStatus, HistoryEvent };

interface LoadedMachine {
  arn: string;
  machine: StateMachine;
  localHandlers: Record<string, (input: unknown) => Promise<unknown>>;
  retryOverrides: Record<string, number>;
}

export interface LocalStepFunctionsOptions {
  root: string;
  dataDir: string;
  host: string;
  port: number;
  region: string;
  account: string;
  /** Wait states and callback timeouts follow it (step-functions-timers.ts). */
  clock: Clock & AdvancingClock;
  /** Milliseconds between Task retries instead of the ASL's IntervalSeconds (tests: 0). */
  retryIntervalMs?: number;
  log: (message: string) => void;
  /** Local IAM in front of the API (infra/local/iam/). */
  guard?: Guard;
}

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
/** The optimized integration that starts an execution and goes on (no `.sync`): a workflow continuing as new. */
const START_EXECUTION = 'arn:aws:states:::states:startExecution';

export const localStateMachineArn = (name: string, region: string, account: string) =>
  `arn:aws:states:${region}:${account}:stateMachine:strata-${name}`;

export class LocalStepFunctions implements ExecutionControl {
  private readonly machines = new Map<string, LoadedMachine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, { abort: () => void; done: Promise<void> }>();
  private readonly directory: string;
  private server: ReturnType<typeof createServer> | undefined;
  private readonly timers: LocalTimers;
  endpoint = '';

  constructor(
    declarations: Readonly<Record<string, StateMachineDeclaration>>,
    private readonly lambdas: LambdaHost,
    private readonly options: LocalStepFunctionsOptions,
  ) {
    this.timers = new LocalTimers(options.clock);
    this.directory = join(options.dataDir, 'stepfunctions');
    mkdirSync(this.directory, { recursive: true });
    for (const [name, declaration] of Object.entries(declarations)) this.load(name, declaration);
    this.restoreExecutions();
  }

  arnOf(name: string): string {
    return localStateMachineArn(name, this.options.region, this.options.account);
  }

  async listen(): Promise<void> {
    this.server = createServer(this.options.guard ? this.options.guard(stepFunctionsApi(this)) : stepFunctionsApi(this));
    this.server.listen(this.options.port, this.options.host);
    await once(this.server, 'listening');
    this.endpoint = `http://${this.options.host}:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.timers.abandonAll();
    for (const run of this.running.values()) run.abort();
    await Promise.allSettled([...this.running.values()].map((run) => run.done));
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Resolves when every execution started so far has finished (for tests and scripts). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()].map((run) => run.done));
  }

  /**
   * Resolves when every running execution is finished or parked: waiting on the local clock
   * (a Wait state) or for a task token (an approval). `idle()` would wait for those forever.
   */
  async settled(): Promise<void> {
    for (;;) {
      const busy = [...this.running.keys()].filter((arn) => !this.timers.isParked(arn));
      if (busy.length === 0) return;
      await Promise.race([...busy.map((arn) => this.running.get(arn)?.done), new Promise((resolve) => setTimeout(resolve, 25))]);
    }
  }

  sendTaskSuccess(token: string, output: string): void {
    this.timers.sendTaskSuccess(token, output);
  }

  sendTaskFailure(token: string, error?: string, cause?: string): void {
    this.timers.sendTaskFailure(token, error, cause);
  }

  startExecution(stateMachineArn: string, input: string, requestedName?: string): ExecutionRecord {
    const loaded = this.machines.get(stateMachineArn);
    if (!loaded) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    const name = requestedName ?? randomUUID();
    const executionArn = stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // Standard workflows: the same name with the same input is idempotent while the execution runs;
      // another input, or an execution that has ended, is ExecutionAlreadyExists (StartExecution's API reference).
      if (existing.input === input && existing.status === 'RUNNING') return existing;
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new ApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: input is not JSON');
    }
    const now = this.options.clock.now();
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: now.getTime() / 1000,
      input,
      history: [],
    };
    this.executions.set(executionArn, record);
    this.persist(record);

    const run = loaded.machine.run(parsed as never, {
      overrides: { taskResourceLocalHandlers: recordingTasks(record, loaded.localHandlers) as never, retryIntervalOverrides: loaded.retryOverrides },
      context: {
        Execution: { Id: executionArn, Name: name, StartTime: now.toISOString(), Input: parsed, RoleArn: 'local' },
        StateMachine: { Id: stateMachineArn, Name: stateMachineArn.split(':').pop() },
      } as never,
    });
    const logged = this.recordHistory(record, run.eventLogs);
    const done = run.result.then(
      (output) => this.finish(record, { status: 'SUCCEEDED', output: JSON.stringify(output ?? null) }),
      (error: unknown) => {
        const failure = executionFailure(error);
        this.finish(record, { status: failure.status, error: failure.error, cause: failure.cause });
      },
    );
    void logged;
    this.running.set(executionArn, { abort: run.abort, done });
    return record;
  }

  /**
   * Starts every workflow that has a schedule once, as the runtime starts (the local runtime
   * has no scheduler; in AWS an EventBridge rule starts them), but those declared not to
   * (`runsAtLocalStart: false`: sweeps over the whole archive).
   */
  startScheduled(declarations: Readonly<Record<string, StateMachineDeclaration>>): void {
    const at = this.options.clock.now().toISOString().replace(/[:.]/g, '');
    for (const [name, declaration] of Object.entries(declarations)) {
      if (declaration.schedule && declaration.runsAtLocalStart !== false) this.startExecution(this.arnOf(name), '{}', `scheduled-${at}`);
    }
  }

  describeExecution(executionArn: string): ExecutionRecord {
    const record = this.executions.get(executionArn);
    if (!record) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  private async recordHistory(record: ExecutionRecord, events: AsyncGenerator<unknown>): Promise<void> {
    try {
      for await (const event of events) {
        const e = event as { type: string; timestamp: number; state?: { name?: string; input?: unknown; output?: unknown }; index?: number; Error?: string; Cause?: unknown; input?: unknown; output?: unknown };
        // What AWS keeps of the data: the execution's input and output, each state's input as it enters and output as it exits.
        const input = e.type === 'ExecutionStarted' ? e.input : e.type === 'StateEntered' ? e.state?.input : undefined;
        const output = e.type === 'ExecutionSucceeded' ? e.output : e.type === 'StateExited' ? e.state?.output : undefined;
        record.history.push({
          type: e.type,
          timestamp: e.timestamp,
          ...(e.state?.name ? { state: e.state.name } : {}),
          ...(e.index === undefined ? {} : { index: e.index }),
          ...(input === undefined ? {} : { input: JSON.stringify(input) }),
          ...(output === undefined ? {} : { output: JSON.stringify(output) }),
          ...(e.Error ? { error: e.Error } : {}),
          // AWS keeps a failure's cause in the history (TaskFailed, ExecutionFailed): so do we, so that what it says is seen.
          ...(e.Cause === undefined ? {} : { cause: typeof e.Cause === 'string' ? e.Cause : JSON.stringify(e.Cause) }),
        });
      }
    } catch {
      // the log ends with the execution; an aborted run may end it with an error
    }
  }

  private finish(record: ExecutionRecord, outcome: Partial<ExecutionRecord>): void {
    Object.assign(record, outcome, { stopDate: this.options.clock.now().getTime() / 1000 });
    this.persist(record);
    this.running.delete(record.executionArn);
    if (record.status !== 'SUCCEEDED') this.options.log(`execution ${record.name} ${record.status}: ${record.error ?? ''} ${record.cause ?? ''}`);
  }

  private load(name: string, declaration: StateMachineDeclaration): void {
    const functionArns: Record<string, string> = {};
    for (const [placeholder, fn] of Object.entries(declaration.functions)) {
      functionArns[placeholder] = localFunctionArn(fn, this.options.region, this.options.account);
    }
    const definition = JSON.parse(substitute(readDefinitionText(this.options.root, declaration.file), functionArns)) as {
      States: Record<string, AslState>;
    };
    const byArn = new Map(Object.values(declaration.functions).map((fn) => [localFunctionArn(fn, this.options.region, this.options.account), fn]));
    const localHandlers: LoadedMachine['localHandlers'] = {};
    const retryOverrides: Record<string, number> = {};
    for (const [stateName, state] of allStates(definition.States)) {
      if (state.Type !== 'Task' || !state.Resource) continue;
      if (this.options.retryIntervalMs !== undefined && Array.isArray(state.Retry)) retryOverrides[stateName] = this.options.retryIntervalMs;
      // A Task without TimeoutSeconds has none to speak of in AWS (99,999,999 s); the library cuts
      // it at 60 s and, as the local host never stops a handler, would run a retry beside the
      // attempt it gave up on (a long deletion step did). As long as a timer can wait, here.
      const timed = state as { TimeoutSeconds?: number; TimeoutSecondsPath?: string };
      if (timed.TimeoutSeconds === undefined && timed.TimeoutSecondsPath === undefined && !state.Resource.endsWith(CALLBACK_SUFFIX)) timed.TimeoutSeconds = LONGEST_REAL_TIMEOUT_SECONDS;
      const direct = byArn.get(state.Resource);
      if (direct) localHandlers[stateName] = (input) => this.invokeTask(direct, input);
      else if (state.Resource === LAMBDA_INVOKE) localHandlers[stateName] = (input) => this.invokeOptimised(input, byArn);
      else if (state.Resource === START_EXECUTION) localHandlers[stateName] = async (input) => this.startFromWorkflow(name, declaration, input);
    }
    // Wait and callback states, rewritten to run on the local clock and local task tokens.
    Object.assign(
      localHandlers,
      this.timers.rewrite(allStates(definition.States), (resource, input) => {
        const direct = byArn.get(resource);
        if (direct) return this.invokeTask(direct, input);
        if (resource === LAMBDA_INVOKE) return this.invokeOptimised(input, byArn);
        throw new Error(`the local runtime cannot run callback tasks on ${resource}`);
      }),
    );
    const arn = this.arnOf(name);
    const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
    this.machines.set(arn, { arn, machine, localHandlers, retryOverrides });
  }

  /** A task's invocation: a failure reaches the state machine as Step Functions sees a failed Lambda (lambdaTaskFailure). */
  private invokeTask(fn: string, input: unknown): Promise<unknown> {
    return this.lambdas.invoke(fn, input).catch((error: unknown) => {
      throw lambdaTaskFailure(error);
    });
  }

  /**
   * `arn:aws:states:::states:startExecution`: as the state machine's role allows in AWS
   * (infra/constructs/workflows.ts), only a new execution of itself, and only when declared
   * `continuesAsNew`. Errors come as the integration names them (`StepFunctions.<Code>Exception`).
   */
  private startFromWorkflow(name: string, declaration: StateMachineDeclaration, input: unknown): { ExecutionArn: string; StartDate: string } {
    const { StateMachineArn, Name, Input } = input as { StateMachineArn?: string; Name?: string; Input?: unknown };
    if (!declaration.continuesAsNew || StateMachineArn !== this.arnOf(name)) {
      throw Object.assign(new Error(`the state machine ${name} is not authorized to perform states:StartExecution on ${StateMachineArn}`), { name: 'StepFunctions.AccessDeniedException' });
    }
    try {
      const record = this.startExecution(StateMachineArn, typeof Input === 'string' ? Input : JSON.stringify(Input ?? {}), Name);
      return { ExecutionArn: record.executionArn, StartDate: new Date(record.startDate * 1000).toISOString() };
    } catch (error) {
      if (error instanceof ApiError) throw Object.assign(new Error(error.message), { name: `StepFunctions.${error.type}Exception` });
      throw error;
    }
  }

  /** `arn:aws:states:::lambda:invoke`: Parameters carry FunctionName and Payload. */
  private async invokeOptimised(input: unknown, byArn: Map<string, string>): Promise<unknown> {
    const { FunctionName, Payload } = input as { FunctionName: string; Payload: unknown };
    const fn = byArn.get(FunctionName) ?? byArn.get(FunctionName.replace(/:\$LATEST$/, ''));
    if (!fn) throw Object.assign(new Error(`Function not found: ${FunctionName}`), { name: 'Lambda.ResourceNotFoundException' });
    return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: await this.invokeTask(fn, Payload) };
  }

  private persist(record: ExecutionRecord): void {
    writeFileSync(join(this.directory, `${encodeURIComponent(record.executionArn)}.json`), JSON.stringify(record));
  }

  private restoreExecutions(): void {
    for (const file of readdirSync(this.directory)) {
      const record = JSON.parse(readFileSync(join(this.directory, file), 'utf8')) as ExecutionRecord;
      if (record.status === 'RUNNING') {
        Object.assign(record, { status: 'ABORTED', cause: 'the local runtime stopped during the execution' });
        this.persist(record);
      }
      record.history ??= [];
      this.executions.set(record.executionArn, record);
    }
  }

  listExecutions(stateMachineArn: string, statusFilter?: string): ExecutionRecord[] {
    return [...this.executions.values()].filter((e) => e.stateMachineArn === stateMachineArn && (!statusFilter || e.status === statusFilter));
  }

  stopExecution(executionArn: string, error?: string, cause?: string): ExecutionRecord {
    const record = this.describeExecution(executionArn);
    this.running.get(record.executionArn)?.abort();
    if (record.status === 'RUNNING') this.finish(record, { status: 'ABORTED', error, cause });
    return record;
  }
}

/**
 * The task handlers of one execution, each recording what AWS records of a task: its effective
 * input (TaskScheduled, after InputPath and Parameters) and its result (TaskSucceeded, before
 * ResultSelector and ResultPath), which the library's state events do not show.
 */
function recordingTasks(record: ExecutionRecord, handlers: LoadedMachine['localHandlers']): LoadedMachine['localHandlers'] {
  return Object.fromEntries(
    Object.entries(handlers).map(([state, handler]) => [
      state,
      async (input: unknown) => {
        record.history.push({ type: 'TaskScheduled', timestamp: Date.now(), state, input: JSON.stringify(input ?? null) });
        const output = await handler(input).catch((error: unknown) => {
          const { name, message } = error as Error;
          record.history.push({ type: 'TaskFailed', timestamp: Date.now(), state, error: name, cause: message });
          throw error;
        });
        record.history.push({ type: 'TaskSucceeded', timestamp: Date.now(), state, output: JSON.stringify(output ?? null) });
        return output;
      },
    ]),
  );
}

/**
 * What Step Functions keeps of a failed Lambda task (Error, Cause; AWS: "Handling errors in
 * Step Functions workflows"): the Node.js runtime's errorType as the error, and its error
 * document, `{"errorMessage","errorType","trace"}` with the stack trace line by line, as the
 * cause. The ES `cause` of the error and its other fields are not serialized by the runtime, so
 * they are not kept here either.
 */
export function lambdaTaskFailure(error: unknown): Error {
  const thrown = error instanceof Error ? error : new Error(String(error));
  const errorType = thrown.name || 'Error';
  const document = { errorMessage: thrown.message, errorType, trace: (thrown.stack ?? '').split('\n') };
  return Object.assign(new Error(JSON.stringify(document)), { name: errorType });
}

function executionFailure(error: unknown): { status: ExecutionStatus; error: string; cause: string } {
  const err = error as { name?: string; message?: string; cause?: { name?: string; message?: string } };
  if (err.name === 'ExecutionAbortedError') return { status: 'ABORTED', error: 'Aborted', cause: 'stopped' };
  if (err.name === 'ExecutionTimeoutError') return { status: 'TIMED_OUT', error: 'States.Timeout', cause: err.message ?? '' };
  // ExecutionError wraps the runtime error that ended the execution (a Fail state or an uncaught task error).
  const inner = err.cause ?? err;
  return { status: 'FAILED', error: inner.name ?? 'Error', cause: inner.message ?? '' };
}
