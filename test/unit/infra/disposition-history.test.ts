/**
 * The disposition workflow's history and cost as the run grows (docs/disposition.md, "Bounded
 * history and cost"): statemachines/disposition.asl.json on the local Step Functions, its task
 * functions replaced by a run of N studies that keeps the step contract (handlers/disposition/
 * step-input.ts: pages taken while the Lambda has time, `calls` echoed, `more`). The states
 * entered are counted across every execution of the run; each execution's history stays bounded
 * because past 1,000 page calls the run continues in a new execution, in the same phase.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readDefinitionText, type AslState } from '#infra/asl.ts';
import { LocalClock } from '#infra/local/clock.ts';
import type { LambdaHost } from '#infra/local/lambda-host.ts';
import { LocalStepFunctions, type ExecutionRecord } from '#infra/local/step-functions.ts';
import { system } from '#infra/system.ts';
import { pageOutput, pagesWhileTimeLeft, stepInput } from '#handlers/disposition/step-input.ts';
import { EVALUATE_PAGE } from '#services/disposition/evaluate.ts';
import { EXECUTE_PAGE } from '#services/disposition/soft-delete.ts';
import { PURGE_PAGE } from '#services/disposition/purge.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DAY = 86_400_000;
/** The step functions' timeout (infra/system.ts: 900 s). */
const FUNCTION_MS = 900_000;
const PRICES = { per1000Transitions: 0.025 }; // /work/shared/docs/aws-prices-us-east-1.json: sfn.standardPer1000Transitions
/** AWS's history events per state entered: a Lambda or service Task 5 (entered, scheduled, started, succeeded, exited), any other state 2. */
const AWS_EVENTS = { Task: 5, other: 2 };

type Phase = 'evaluate' | 'execute' | 'purge';
const PAGE: Record<Phase, number> = { evaluate: EVALUATE_PAGE, execute: EXECUTE_PAGE, purge: PURGE_PAGE };

/**
 * A disposition run of `studies` studies as its task functions see it: each page call takes pages
 * of its phase while the function has more than the reserve left, a page lasting `pageMs`; each
 * page is done once (a second call for a finished phase would be a defect of the workflow).
 */
class SimulatedRun {
  readonly pagesDone: Record<Phase, number> = { evaluate: 0, execute: 0, purge: 0 };
  readonly calls: Record<Phase, number> = { evaluate: 0, execute: 0, purge: 0 };
  token = '';
  written: string[] = [];

  constructor(
    private readonly studies: number,
    private readonly pageMs: number,
    private readonly clock: LocalClock,
  ) {}

  pages = (phase: Phase) => Math.max(1, Math.ceil(this.studies / PAGE[phase]));

  readonly host = {
    invoke: async (fn: string, event: unknown): Promise<unknown> => {
      if (fn === 'awaitDispositionApproval') {
        this.token = (event as { taskToken: string }).taskToken;
        return null;
      }
      const phase: Phase = fn === 'evaluateStudies' ? 'evaluate' : fn === 'softDeleteStudies' ? 'execute' : 'purge';
      const request = stepInput(event, ['page', 'report', 'window', 'certificate']);
      if (request.step === 'window') return { tenant: request.tenant, id: request.id, recoverUntil: new Date(this.clock.now().getTime() + 30 * DAY).toISOString() };
      if (request.step !== 'page') {
        this.written.push(request.step);
        return { tenant: request.tenant, id: request.id };
      }
      this.calls[phase] += 1;
      let used = 0;
      const page = await pagesWhileTimeLeft(
        () => FUNCTION_MS - used,
        async () => {
          if (this.pagesDone[phase] >= this.pages(phase)) throw new Error(`a ${phase} page call after the phase ended`);
          this.pagesDone[phase] += 1;
          used += this.pageMs;
          return { more: this.pagesDone[phase] < this.pages(phase) };
        },
      );
      return pageOutput(request, page);
    },
  } as unknown as LambdaHost;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs one disposition of `studies` studies through approval and the window; every execution it took. */
async function dispose(studies: number, pageMs: number) {
  const clock = new LocalClock();
  const run = new SimulatedRun(studies, pageMs, clock);
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-disposition-history-'));
  dirs.push(dataDir);
  const sfn = new LocalStepFunctions({ disposition: system.stateMachines.disposition }, run.host, {
    root: ROOT, dataDir, host: '127.0.0.1', port: 0, region: 'us-east-1', account: '000000000000', clock, retryIntervalMs: 0, log: () => {},
  });
  const arn = sfn.arnOf('disposition');
  sfn.startExecution(arn, JSON.stringify({ tenant: 't1', id: 'disp-20300101T000000Z-abcdef' }), 'disp-20300101T000000Z-abcdef');
  await sfn.settled();
  expect(run.token).not.toBe('');
  sfn.sendTaskSuccess(run.token, '{}');
  await sfn.settled();
  clock.advance(31 * DAY);
  await sfn.idle();
  await sfn.stop();
  // In the order they started (each hand-over starts the next).
  return { run, executions: sfn.listExecutions(arn) };
}

/**
 * The purge phase of a run of `studies` studies at one page per call, entered with `calls` page
 * calls already made (as a resumed execution is): it hands over at 1,000. With `lostResponse`, the
 * first StartExecution of the hand-over starts the continuation, which runs to its end, and then
 * fails as a lost answer would: the retry meets the continuation that exists (and has ended).
 */
async function purgeAcrossHandover(studies: number, calls: number, lostResponse: boolean) {
  const clock = new LocalClock();
  const run = new SimulatedRun(studies, 11 * 60_000, clock);
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-disposition-handover-'));
  dirs.push(dataDir);
  const sfn = new LocalStepFunctions({ disposition: system.stateMachines.disposition }, run.host, {
    root: ROOT, dataDir, host: '127.0.0.1', port: 0, region: 'us-east-1', account: '000000000000', clock, retryIntervalMs: 0, log: () => {},
  });
  const starts = sfn as unknown as { startFromWorkflow: (...args: unknown[]) => { ExecutionArn: string } | Promise<{ ExecutionArn: string }> };
  const start = starts.startFromWorkflow.bind(sfn);
  let attempts = 0;
  starts.startFromWorkflow = async (...args: unknown[]) => {
    attempts += 1;
    const started = await start(...args);
    if (!lostResponse || attempts > 1) return started;
    while (sfn.describeExecution(started.ExecutionArn).status === 'RUNNING') await new Promise((resolve) => setTimeout(resolve, 5));
    throw Object.assign(new Error('the answer to StartExecution was lost (simulated)'), { name: 'StepFunctions.SdkClientException' });
  };
  const arn = sfn.arnOf('disposition');
  const id = 'disp-20300101T000000Z-abcdef';
  sfn.startExecution(arn, JSON.stringify({ tenant: 't1', id, calls, resume: 'purge' }), id);
  await sfn.idle();
  await sfn.stop();
  return { run, attempts, executions: sfn.listExecutions(arn) };
}

const definition = JSON.parse(readDefinitionText(ROOT, system.stateMachines.disposition.file)) as { States: Record<string, AslState> };
const entered = (execution: ExecutionRecord) => execution.history.filter((e) => e.type === 'StateEntered');
const awsEvents = (execution: ExecutionRecord) => 2 + entered(execution).reduce((sum, e) => sum + (definition.States[e.state!]!.Type === 'Task' ? AWS_EVENTS.Task : AWS_EVENTS.other), 0);
const transitions = (executions: ExecutionRecord[]) => executions.reduce((sum, e) => sum + entered(e).length, 0);

describe('disposition workflow: state transitions and history per run size (local Step Functions)', () => {
  it('1,000 studies whose pages fit in one call per phase: 14 transitions in one execution', async () => {
    const { run, executions } = await dispose(1000, 1000);
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
    expect(run.pagesDone).toEqual({ evaluate: 10, execute: 40, purge: 40 });
    expect(run.calls).toEqual({ evaluate: 1, execute: 1, purge: 1 });
    expect(run.written).toEqual(['report', 'certificate']);
    // Resume, Begin, Evaluate, MoreToEvaluate, WriteReport, AwaitApproval, Execute, MoreToExecute,
    // OpenRecoveryWindow, RecoveryWindow, Purge, MoreToPurge, WriteCertificate, Disposed.
    expect(transitions(executions)).toBe(14);
    console.log(`1,000 studies, one call per phase: ${transitions(executions)} transitions, $${((transitions(executions) / 1000) * PRICES.per1000Transitions).toFixed(5)}`);
  });

  it('1,000 studies at one page per call (each page outlasting the reserve): 2 transitions per page call', async () => {
    const { run, executions } = await dispose(1000, 11 * 60_000);
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
    expect(run.calls).toEqual({ evaluate: 10, execute: 40, purge: 40 });
    expect(run.pagesDone).toEqual(run.calls);
    // 14 + 2 per page call past the first of each phase: 14 + 2 × 87 = 188.
    expect(transitions(executions)).toBe(14 + 2 * (90 - 3));
    console.log(`1,000 studies, one page per call: ${transitions(executions)} transitions, $${((transitions(executions) / 1000) * PRICES.per1000Transitions).toFixed(5)}`);
  });

  it('a run past 1,000 page calls continues in new executions, in the same phase; each history stays bounded', async () => {
    // 30,000 studies at one page per call: 300 + 1,200 + 1,200 = 2,700 page calls.
    const { run, executions } = await dispose(30_000, 11 * 60_000);
    expect(run.calls).toEqual({ evaluate: 300, execute: 1200, purge: 1200 });
    expect(run.pagesDone).toEqual(run.calls);
    expect(run.written).toEqual(['report', 'certificate']);
    expect(executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    // The first execution hands over during Execute (at 1,000 calls), the second during Purge.
    expect(executions.map((e) => JSON.parse(e.input).resume)).toEqual([undefined, 'execute', 'purge']);
    expect(executions.map((e) => e.name)).toEqual([
      'disp-20300101T000000Z-abcdef',
      expect.stringMatching(/^disp-20300101T000000Z-abcdef-[0-9a-f]{32}$/),
      expect.stringMatching(/^disp-20300101T000000Z-abcdef-[0-9a-f]{32}$/),
    ]);
    for (const execution of executions) {
      const pageCalls = entered(execution).filter((e) => ['Evaluate', 'Execute', 'Purge'].includes(e.state!)).length;
      expect(pageCalls).toBeLessThanOrEqual(1000);
      // At most 1,000 page calls of 7 AWS events each, plus the fixed states: far below the 25,000 limit.
      expect(awsEvents(execution)).toBeLessThanOrEqual(7 * 1000 + 60);
    }
    // Each hand-over costs 3 transitions: ContinueX and Continued in the old execution, Resume in the new.
    expect(transitions(executions)).toBe(14 + 2 * (2700 - 3) + 3 * 2);
    const per1000 = (transitions(executions) / 30) | 0;
    console.log(`30,000 studies, one page per call: ${transitions(executions)} transitions (${per1000} per 1,000 studies), ${executions.length} executions, largest history ≈ ${Math.max(...executions.map(awsEvents))} AWS events`);
  }, 120_000);

  it('a hand-over whose StartExecution is retried after the continuation started ends as an uninterrupted one, without retrying ExecutionAlreadyExists', async () => {
    // 250 studies: 10 purge pages; entered at 995 calls, the 5th page call is the 1,000th, the continuation takes the other 5.
    const uninterrupted = await purgeAcrossHandover(250, 995, false);
    const retried = await purgeAcrossHandover(250, 995, true);
    for (const { run, executions } of [uninterrupted, retried]) {
      expect(executions.map((e) => [e.status, JSON.parse(e.input).resume])).toEqual([['SUCCEEDED', 'purge'], ['SUCCEEDED', 'purge']]);
      expect(run.calls.purge).toBe(10);
      expect(run.pagesDone.purge).toBe(10);
      expect(run.written).toEqual(['certificate']);
      expect(entered(executions[0]!).at(-1)!.state).toBe('Continued');
    }
    expect(retried.executions.map((e) => e.name)).toEqual(uninterrupted.executions.map((e) => e.name));
    // The retry met the continuation, which had ended: ExecutionAlreadyExists, which is success, not retried (2 calls, not 1 + 3 retries).
    expect(uninterrupted.attempts).toBe(1);
    expect(retried.attempts).toBe(2);
    const handover = retried.executions[0]!.history.filter((e) => e.state === 'ContinuePurging' && e.type === 'TaskFailed').map((e) => e.error);
    expect(handover).toEqual(['StepFunctions.SdkClientException', 'StepFunctions.ExecutionAlreadyExistsException']);
  });
});
