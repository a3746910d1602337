/**
 * One step of the deletion workflow (statemachines/deletion.asl.json): carries a recorded
 * deletion on from where it stopped for as long as the step's time allows, and records how far
 * it got. Finished, it leaves the deletions under way and the audit trail records the outcome
 * with its counts, in the name of the client that asked (the workflow has no caller of its own).
 */
import { auditEntries } from '#core/audit/record.ts';
import { finalStatus, type Deletion } from '#core/deletion/deletion.ts';
import { recordAudit } from '#adapters/audit/record-audit.ts';
import { getDeletion, recordProgress } from '#adapters/deletion/deletion-records.ts';
import { deleteStep } from './delete-instances.ts';

/** Kept back from the step's time for recording progress and the audit record. */
const RESERVE_MS = 15_000;

export async function continueDeletion(tenant: string, id: string, context: { now: Date; timeLeftMs: () => number; requestId: string }): Promise<{ complete: boolean }> {
  const deletion = await getDeletion(tenant, id);
  if (!deletion || deletion.status !== 'DELETING') return { complete: true };
  const at = context.now.toISOString();
  const step = await deleteStep(deletion.scope, deletion.progress, { now: context.now, timeLeftMs: context.timeLeftMs, reserveMs: RESERVE_MS });
  if (!step.complete) {
    await recordProgress(tenant, id, step.progress, at);
    return { complete: false };
  }
  const status = finalStatus(step.progress);
  await recordProgress(tenant, id, step.progress, at, status);
  await auditCompletion({ ...deletion, progress: step.progress, status }, context);
  return { complete: true };
}

async function auditCompletion(deletion: Deletion, context: { now: Date; requestId: string }): Promise<void> {
  const { scope, progress } = deletion;
  await recordAudit(
    auditEntries(
      {
        kind: scope.series ? 'deleteInstances' : 'deleteStudy',
        at: context.now,
        method: 'WORKFLOW',
        resource: 'deletion/completed',
        // As the DELETE would have answered had it finished within the request.
        status: progress.kept ? 409 : 204,
        requestId: context.requestId,
        sourceIp: undefined,
        caller: { clientId: deletion.requestedBy, tenant: scope.tenant, scopes: [] },
      },
      [{ patientId: deletion.patientId, studies: [scope.study], detail: { deletion: deletion.id, instancesDeleted: progress.deleted, instancesKept: progress.kept } }],
    ),
  );
}
