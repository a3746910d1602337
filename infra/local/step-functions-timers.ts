/**
 * What aws-local-stepfunctions lacks and Strata's workflows use, supplied around it:
 * - **Wait states on the local clock.** The library sleeps in real time; here a Wait state is
 *   run as a Task whose local handler resolves when the *local* clock reaches the state's end
 *   (`Seconds`, `Timestamp`, `SecondsPath`, `TimestampPath`), so `npm run clock -- +31d`
 *   ends a 30-day wait at once.
 * - **Callback tasks** (`…waitForTaskToken`). The library has no task tokens; here the state
 *   is run as a Task whose handler mints a token, puts it where the ASL put `$$.Task.Token`,
 *   invokes the integration, and waits for SendTaskSuccess / SendTaskFailure with that token.
 *   The state's `TimeoutSeconds` is counted on the local clock (`States.Timeout`).
 * In the execution history such states appear as Task states (TaskStateEntered/Exited).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '#adapters/clock.ts';
import type { AslState } from '#infra/asl.ts';
import { ApiError } from './step-functions-api.ts';

export interface AdvancingClock extends Clock {
  onAdvance?(listener: () => void): () => void;
}

/** The library runs a Task's promise against a real-time timer; setTimeout allows at most 2^31-1 ms. */
export const LONGEST_REAL_TIMEOUT_SECONDS = 2_147_483;
const TOKEN_PLACEHOLDER = '__strata_local_task_token__';
const WAIT_RESOURCE = 'arn:aws:states:::strata-local:wait';
export const CALLBACK_SUFFIX = '.waitForTaskToken';

/** The error a task ends with (States.Timeout, or what SendTaskFailure said). */
export class TaskFailure extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface PendingTask {
  executionArn: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
}

export interface TokenEnvelope {
  execution: string;
  state: string;
  nonce: string;
}

/** A token names its execution (local IAM authorizes SendTask* on its state machine). */
export function decodeTaskToken(token: string): TokenEnvelope | undefined {
  try {
    const envelope = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenEnvelope>;
    return typeof envelope.execution === 'string' && typeof envelope.state === 'string' ? (envelope as TokenEnvelope) : undefined;
  } catch {
    return undefined;
  }
}

export class LocalTimers {
  private readonly pending = new Map<string, PendingTask>();
  /** Executions → how many of their states are parked (waiting on the clock or a token). */
  private readonly parked = new Map<string, number>();

  constructor(private readonly clock: AdvancingClock) {}

  isParked(executionArn: string): boolean {
    return (this.parked.get(executionArn) ?? 0) > 0;
  }

  /**
   * Rewrites the Wait and callback states of a definition (in place) into Task states run by
   * local handlers; returns those handlers by state name. `invoke` runs an integration's
   * resource (e.g. `lambda:invoke`) with its resolved Parameters.
   */
  rewrite(states: [string, AslState][], invoke: (resource: string, input: unknown) => Promise<unknown>): Record<string, (input: unknown) => Promise<unknown>> {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of states) {
      if (state.Type === 'Wait') {
        const { Seconds, Timestamp, SecondsPath, TimestampPath } = state as Record<string, unknown>;
        for (const field of ['Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath']) delete state[field];
        Object.assign(state, {
          Type: 'Task',
          Resource: WAIT_RESOURCE,
          Parameters: { 'input.$': '$', 'execution.$': '$$.Execution.Id' },
          TimeoutSeconds: LONGEST_REAL_TIMEOUT_SECONDS,
        });
        handlers[name] = async (request) => {
          const { input, execution } = request as { input: unknown; execution: string };
          const until = waitEnd({ Seconds, Timestamp, SecondsPath, TimestampPath }, input, this.clock.now());
          await this.parkedWhile(execution, this.untilClockReaches(until));
          return input;
        };
      } else if (state.Type === 'Task' && typeof state.Resource === 'string' && state.Resource.endsWith(CALLBACK_SUFFIX)) {
        const resource = state.Resource.slice(0, -CALLBACK_SUFFIX.length);
        const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
        Object.assign(state, {
          Resource: resource,
          Parameters: { parameters: withTokenPlaceholder(state.Parameters ?? {}), 'execution.$': '$$.Execution.Id' },
          TimeoutSeconds: LONGEST_REAL_TIMEOUT_SECONDS,
        });
        delete state.HeartbeatSeconds;
        handlers[name] = async (request) => {
          const { parameters, execution } = request as { parameters: unknown; execution: string };
          const token = Buffer.from(JSON.stringify({ execution, state: name, nonce: randomUUID() } satisfies TokenEnvelope)).toString('base64url');
          // Answering the token unparks the execution at once, so a settled() right after SendTaskSuccess waits for what follows.
          let unpark = () => {};
          const answer = new Promise<unknown>((resolve, reject) =>
            this.pending.set(token, {
              executionArn: execution,
              resolve: (value) => (unpark(), resolve(value)),
              reject: (error) => (unpark(), reject(error)),
            }),
          );
          try {
            await invoke(resource, replacePlaceholder(parameters, token));
            const deadline = timeoutSeconds === undefined ? undefined : new Date(this.clock.now().getTime() + timeoutSeconds * 1000);
            const timedOut = deadline && this.untilClockReaches(deadline).then(() => {
              throw new TaskFailure('States.Timeout', `the callback task ${name} was not answered within ${timeoutSeconds} s`);
            });
            unpark = this.park(execution);
            return await (timedOut ? Promise.race([answer, timedOut]) : answer);
          } finally {
            unpark();
            this.pending.delete(token);
          }
        };
      }
    }
    return handlers;
  }

  sendTaskSuccess(token: string, output: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new ApiError('InvalidOutput', 'The provided JSON output data is not valid.');
    }
    this.take(token).resolve(parsed);
  }

  sendTaskFailure(token: string, error = '', cause = ''): void {
    this.take(token).reject(new TaskFailure(error, cause));
  }

  /** Ends every wait (the runtime is stopping). */
  abandonAll(): void {
    for (const [token, task] of this.pending) {
      this.pending.delete(token);
      task.reject(new TaskFailure('States.Runtime', 'the local runtime stopped'));
    }
  }

  private take(token: string): PendingTask {
    if (!decodeTaskToken(token)) throw new ApiError('InvalidToken', 'Invalid token');
    const task = this.pending.get(token);
    if (!task) throw new ApiError('TaskDoesNotExist', 'Task does not exist anymore');
    this.pending.delete(token);
    return task;
  }

  private async parkedWhile<T>(execution: string, waiting: Promise<T>): Promise<T> {
    const unpark = this.park(execution);
    try {
      return await waiting;
    } finally {
      unpark();
    }
  }

  /** Counts one more parked state of the execution; the function returned uncounts it, once. */
  private park(execution: string): () => void {
    this.parked.set(execution, (this.parked.get(execution) ?? 0) + 1);
    let parked = true;
    return () => {
      if (!parked) return;
      parked = false;
      const left = (this.parked.get(execution) ?? 1) - 1;
      if (left > 0) this.parked.set(execution, left);
      else this.parked.delete(execution);
    };
  }

  /** Resolves once the local clock reads `until` or later: on a clock advance, or as real time passes. */
  private untilClockReaches(until: Date): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let stopListening = () => {};
      const check = () => {
        const left = until.getTime() - this.clock.now().getTime();
        if (left <= 0) {
          if (timer) clearTimeout(timer);
          stopListening();
          resolve();
          return;
        }
        if (timer) clearTimeout(timer);
        timer = setTimeout(check, Math.min(left, 2 ** 31 - 1));
        timer.unref();
      };
      stopListening = this.clock.onAdvance?.(check) ?? (() => {});
      check();
    });
  }
}

/** When a Wait state ends, from its fields and its input, as Step Functions computes it. */
export function waitEnd(fields: Record<string, unknown>, input: unknown, now: Date): Date {
  const at = (path: unknown) => valueAtPath(input, String(path));
  if (typeof fields.Seconds === 'number') return new Date(now.getTime() + fields.Seconds * 1000);
  if (typeof fields.Timestamp === 'string') return new Date(fields.Timestamp);
  if (fields.SecondsPath !== undefined) {
    const seconds = at(fields.SecondsPath);
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) throw new TaskFailure('States.Runtime', `SecondsPath ${String(fields.SecondsPath)} is not a non-negative integer`);
    return new Date(now.getTime() + seconds * 1000);
  }
  if (fields.TimestampPath !== undefined) {
    const timestamp = at(fields.TimestampPath);
    const parsed = typeof timestamp === 'string' ? new Date(timestamp) : new Date(Number.NaN);
    if (Number.isNaN(parsed.getTime())) throw new TaskFailure('States.Runtime', `TimestampPath ${String(fields.TimestampPath)} is not a timestamp`);
    return parsed;
  }
  throw new TaskFailure('States.Runtime', 'a Wait state needs Seconds, Timestamp, SecondsPath or TimestampPath');
}

/** `$.a.b` (the reference paths Wait states use). */
function valueAtPath(input: unknown, path: string): unknown {
  if (path === '$') return input;
  return path.replace(/^\$\.?/, '').split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], input);
}

function withTokenPlaceholder(template: unknown): unknown {
  if (Array.isArray(template)) return template.map(withTokenPlaceholder);
  if (template === null || typeof template !== 'object') return template;
  return Object.fromEntries(
    Object.entries(template).map(([key, value]) =>
      key.endsWith('.$') && value === '$$.Task.Token' ? [key.slice(0, -2), TOKEN_PLACEHOLDER] : [key, withTokenPlaceholder(value)],
    ),
  );
}

function replacePlaceholder(value: unknown, token: string): unknown {
  if (value === TOKEN_PLACEHOLDER) return token;
  if (Array.isArray(value)) return value.map((v) => replacePlaceholder(v, token));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replacePlaceholder(v, token)]));
}
