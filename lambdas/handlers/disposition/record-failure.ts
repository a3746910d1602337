/** Disposition, RecordFailure: a step failed after its retries; the run says FAILED, in which phase and why. */
import middy from '@middy/core';
import type { Phase } from '#adapters/disposition/disposition-store.ts';
import { clock } from '#adapters/clock.ts';
import { PHASES, recordFailure } from '#services/disposition/failure.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

interface FailureInput {
  tenant: string;
  id: string;
  phase: Phase;
  error: string;
  cause: string;
  /** The execution that failed ($$.Execution.Name). */
  execution: string;
}

function failureInput(input: unknown): FailureInput {
  const { tenant, id, phase, error, cause, execution } = (input ?? {}) as Partial<Record<keyof FailureInput, unknown>>;
  if (typeof tenant !== 'string' || typeof id !== 'string' || !PHASES.includes(phase as Phase) || typeof error !== 'string' || typeof execution !== 'string') {
    throw new TypeError(`a disposition failure needs {tenant, id, phase: ${PHASES.join('|')}, error, cause?, execution}`);
  }
  return { tenant, id, phase: phase as Phase, error, cause: typeof cause === 'string' ? cause : '', execution };
}

export const handler = middy(async (input: unknown): Promise<{ tenant: string; id: string; status: string }> => {
  const { tenant, id, ...failed } = failureInput(input);
  const run = await recordFailure(tenant, id, failed, clock.now());
  return { tenant, id, status: run.status };
}).use(workflowTask());
