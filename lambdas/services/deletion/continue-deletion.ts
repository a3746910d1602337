/**
 * One step of the deletion workflow (statemachines/deletion.asl.json): carries a recorded
 * deletion on from where it stopped for as long as the step's time allows, saving progress with
 * every batch. Finished, the outcome is recorded and then audited (audit-completion.ts); a step
 * that finds a deletion finished but not audited (a crash in between) only audits it.
 */
import { DeletionSuperseded, finalStatus } from '#core/deletion/deletion.ts';
import { finishDeletion, getDeletion } from '#adapters/deletion/deletion-records.ts';
import { auditCompletion } from './audit-completion.ts';
import { deleteStep } from './delete-instances.ts';

/** Kept back from the step's time for saving progress and the audit record. */
const RESERVE_MS = 15_000;

export async function continueDeletion(
  tenant: string,
  id: string,
  context: { now: Date; clock: () => Date; timeLeftMs: () => number; requestId: string },
): Promise<{ complete: boolean }> {
  const deletion = await getDeletion(tenant, id);
  if (!deletion) return { complete: true };
  if (deletion.status === 'DELETING') {
    try {
      const step = await deleteStep(deletion, { ...context, reserveMs: RESERVE_MS });
      if (!step.complete) return { complete: false };
      await finishDeletion({ tenant, id, from: step.progress.after }, finalStatus(step.progress), context.clock().toISOString());
    } catch (error) {
      // Another worker carries it on (an execution resumed while this one still ran): it finishes it.
      if (error instanceof DeletionSuperseded) return { complete: true };
      throw error;
    }
  }
  await auditCompletion(tenant, id, { now: context.clock(), requestId: context.requestId, method: 'WORKFLOW' });
  return { complete: true };
}
