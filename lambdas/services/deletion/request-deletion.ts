/**
 * A DELETE request: refused whole while a legal hold covers the scope; otherwise recorded
 * durably (core/deletion/deletion.ts) before anything goes, then carried out within the request
 * while its time allows — every study a viewer or PACS deletes in practice — and handed to the
 * deletion workflow (statemachines/deletion.asl.json) when it outgrows the request (a study of
 * tens of thousands of instances). The client then polls `GET /deletions/{id}`.
 */
import { randomUUID } from 'node:crypto';
import { DeletionSuperseded, finalStatus, NO_PROGRESS, type Deletion } from '#core/deletion/deletion.ts';
import { ConflictError, GoneError, NotFoundError } from '#core/errors.ts';
import { holdsCovering } from '#core/holds/covering.ts';
import { patientIdOf } from '#core/audit/subjects.ts';
import type { ResourceScope } from '#core/index-keys.ts';
import { wasDeleted } from '#adapters/deletion/deletion-store.ts';
import { finishDeletion, getDeletion, putDeletion, recordAttempt } from '#adapters/deletion/deletion-records.ts';
import { startWorkflow } from '#adapters/workflows.ts';
import { config } from '#lambdas/config.ts';
import { logger } from '#lambdas/observability/logger.ts';
import { holdsCoveringData } from '#services/holds/holds-covering.ts';
import { auditCompletion } from './audit-completion.ts';
import { deleteStep, instancesInScope } from './delete-instances.ts';

/** Time kept back from the request's for saving progress, auditing and starting the workflow. */
const HANDOFF_RESERVE_MS = 8_000;

export interface DeletionOutcome {
  deletion: Deletion;
  /** False when the workflow carries on: the answer is 202 with where to follow it. */
  finished: boolean;
}

export async function requestDeletion(
  scope: ResourceScope,
  context: { now: Date; clock: () => Date; requestedBy: string; timeLeftMs: () => number; requestId: string },
): Promise<DeletionOutcome> {
  const records = await instancesInScope(scope);
  if (records.length === 0) {
    if (await wasDeleted(scope)) throw new GoneError('this resource was deleted');
    throw new NotFoundError('no such resource');
  }
  // A legal hold refuses the whole request before anything goes (docs/legal-hold.md).
  const holds = holdsCovering({ studyHolds: await holdsCoveringData(scope), instanceHolds: records.flatMap((r) => r.holds ?? []) });
  if (holds.length) throw new ConflictError(`held by legal hold ${holds.join(', ')}: nothing was deleted`);

  const at = context.now.toISOString();
  const deletion: Deletion = {
    id: randomUUID(),
    scope,
    status: 'DELETING',
    requestedAt: at,
    requestedBy: context.requestedBy,
    instances: records.length,
    progress: NO_PROGRESS,
    updatedAt: at,
    attempts: 0,
    patientId: patientIdOf(records[0]!.study),
  };
  await putDeletion(scope.tenant, deletion);
  try {
    const step = await deleteStep(deletion, { ...context, reserveMs: HANDOFF_RESERVE_MS });
    if (step.complete) {
      const status = finalStatus(step.progress);
      const finishedAt = context.clock().toISOString();
      await finishDeletion({ tenant: scope.tenant, id: deletion.id, from: step.progress.after }, status, finishedAt);
      // Done either way: an audit record not written now is written by the maintenance (auditPending).
      await auditCompletion(scope.tenant, deletion.id, { now: context.clock(), requestId: context.requestId, method: 'DELETE' }).catch((error: unknown) =>
        logger.error('deletion completed; its audit record is left to the maintenance', { deletion: deletion.id, error: (error as Error).name }),
      );
      return { deletion: { ...deletion, progress: step.progress, status, finishedAt }, finished: true };
    }
    await continueInWorkflow(scope.tenant, deletion.id, context.clock().toISOString());
    return { deletion: { ...deletion, progress: step.progress }, finished: false };
  } catch (error) {
    // Another worker carries it on (only when this request ran past the stall threshold): follow it there.
    if (!(error instanceof DeletionSuperseded)) throw error;
    return { deletion: (await getDeletion(scope.tenant, deletion.id)) ?? deletion, finished: false };
  }
}

/** Starts the next execution of the deletion workflow for it (a resumed deletion gets a new one). */
export async function continueInWorkflow(tenant: string, id: string, at: string): Promise<void> {
  const attempt = await recordAttempt(tenant, id, at);
  await startWorkflow(config.deletionStateMachineArn(), `${id}-${attempt}`, { tenant, id });
}
