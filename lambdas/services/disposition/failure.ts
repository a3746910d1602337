/**
 * A run whose step failed after its retries: the workflow records the failure on the run
 * (FAILED, the phase, the status it had, the error) and ends its execution failed (the
 * DispositionFailed alarm); an administrator removes the cause and resumes the run from that
 * phase in a new execution. Every step is idempotent and keeps its cursor on the run, so the
 * resumed run ends as an uninterrupted one would.
 */
import { ConflictError } from '#core/errors.ts';
import { markFailed, reopenFailed, type DispositionRun, type Phase } from '#adapters/disposition/disposition-store.ts';
import { startWorkflow } from '#adapters/workflows.ts';
import { config } from '#lambdas/config.ts';
import { runOf } from './evaluate.ts';

export const PHASES: readonly Phase[] = ['evaluate', 'execute', 'purge'];
/** What the run keeps of a failure's cause (Lambda's error document with its stack trace): enough to see why. */
export const CAUSE_CHARS = 2000;

/** Lambda's error document as Step Functions keeps it (`{"errorMessage", "errorType", "trace"}`), else the cause as it came. */
function causeText(cause: string): string {
  try {
    const document = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof document.errorMessage === 'string') return document.errorMessage.slice(0, CAUSE_CHARS);
  } catch {
    // not a Lambda error document (an integration's own error)
  }
  return cause.slice(0, CAUSE_CHARS);
}

/** The workflow's RecordFailure step. A run already FAILED, or finished, is left as it is. */
export async function recordFailure(tenant: string, id: string, failed: { phase: Phase; error: string; cause: string; execution: string }, now: Date): Promise<DispositionRun> {
  const run = await runOf(tenant, id);
  if (run.status === 'PURGED' || run.status === 'REJECTED') return run;
  const failure = { phase: failed.phase, error: failed.error, cause: causeText(failed.cause), at: now.toISOString(), execution: failed.execution };
  if (run.status !== 'FAILED') {
    await markFailed(tenant, id, { ...failure, status: run.status });
  } else if (run.failure && run.failure.execution !== failed.execution) {
    // A resumed execution that failed before its resume set the run back: the next failure, to be resumed in turn.
    await markFailed(tenant, id, { ...failure, status: run.failure.status }, run.failure);
  }
  return runOf(tenant, id);
}

/**
 * Resumes a FAILED run in the phase it failed in. The execution's name is the run's and the
 * failure's number: a repeated resume (a retried request, two administrators) starts it once
 * (Step Functions: the same name and input while it runs is the same execution; once it has
 * ended, ExecutionAlreadyExists says it was started). The run leaves FAILED only if that failure
 * is still the last one: a resumed execution that already failed again has recorded the next.
 */
export async function resumeRun(tenant: string, id: string, resumer: string, now: Date): Promise<DispositionRun> {
  const run = await runOf(tenant, id);
  if (run.status !== 'FAILED' || !run.failure || !run.failures) throw new ConflictError(`disposition ${id} is ${run.status}, not FAILED: nothing to resume`);
  const number = run.failures;
  try {
    await startWorkflow(config.dispositionStateMachineArn(), `${id}-resume-${number}`, { tenant, id, calls: 0, resume: run.failure.phase });
  } catch (error) {
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
  }
  await reopenFailed(tenant, id, number, run.failure.status, { resumedBy: resumer, resumedAt: now.toISOString() });
  return runOf(tenant, id);
}
