/**
 * Placing and releasing a legal hold (docs/legal-hold.md). Both take effect in the index before
 * they answer (the held studies' registrations, which DELETE, disposition and ingest read by
 * key), and start the legal-hold workflow that marks each instance and sets or clears S3's
 * legal hold on every object version.
 */
import { ConflictError, NotFoundError } from '#core/errors.ts';
import { Keys } from '#core/index-keys.ts';
import { scopeRegistration, type Hold, type HoldRequest } from '#core/holds/hold.ts';
import { getHold, markHoldReleased, putHold, setRegistration } from '#adapters/holds/hold-store.ts';
import { startWorkflow } from '#adapters/workflows.ts';
import { config } from '#lambdas/config.ts';
import { recordHoldInLedger } from './hold-ledger.ts';
import { resolveHeldSubjects } from './resolve-scope.ts';

export interface HoldActor {
  tenant: string;
  clientId: string;
  now: Date;
}

/** Registration writes in flight at once (each an UpdateItem). */
const PARALLEL_WRITES = 16;

export async function placeHold(request: HoldRequest, id: string, actor: HoldActor): Promise<Hold> {
  const subjects = await resolveHeldSubjects(actor.tenant, request.scope);
  const hold: Hold = {
    ...request,
    id,
    tenant: actor.tenant,
    status: 'active',
    createdAt: actor.now.toISOString(),
    createdBy: actor.clientId,
    studies: subjects.map((subject) => subject.study).sort(),
    subjects,
    progress: { s3: 'placing', studiesDone: 0, instances: 0, bytes: 0, objectVersions: 0 },
  };
  await putHold(hold);
  await register(hold, true);
  await startWorkflow(config.legalHoldStateMachineArn(), `hold-${id}-place`, { tenant: actor.tenant, holdId: id, action: 'place' });
  await recordHoldInLedger(actor.tenant, id);
  return hold;
}

export async function releaseHold(tenant: string, id: string, actor: HoldActor): Promise<Hold> {
  const hold = await getHold(tenant, id);
  if (!hold) throw new NotFoundError(`no hold ${id}`);
  if (hold.status === 'released') throw new ConflictError(`hold ${id} was already released at ${hold.releasedAt}`);
  const progress = { s3: 'releasing' as const, studiesDone: 0, instances: 0, bytes: 0, objectVersions: 0 };
  if (!(await markHoldReleased(tenant, id, actor.now.toISOString(), actor.clientId, progress))) throw new ConflictError(`hold ${id} is being released`);
  await register(hold, false);
  await startWorkflow(config.legalHoldStateMachineArn(), `hold-${id}-release`, { tenant, holdId: id, action: 'release' });
  await recordHoldInLedger(tenant, id);
  return { ...hold, status: 'released', releasedAt: actor.now.toISOString(), releasedBy: actor.clientId, progress };
}

/**
 * The scope's registration (future arrivals) first, then each held study's. On release the
 * same order stops ingest adding studies before the studies are let go.
 */
export async function register(hold: Hold, on: boolean): Promise<void> {
  const scopeKey = scopeRegistration(hold.tenant, hold.scope);
  if (scopeKey) await setRegistration(scopeKey, hold.id, on);
  const studies = new Set(hold.studies);
  if ('study' in hold.scope) studies.add(hold.scope.study); // a study not yet stored is held when it arrives
  const keys = [...studies].map((study) => Keys.heldStudy(hold.tenant, study));
  for (let i = 0; i < keys.length; i += PARALLEL_WRITES) {
    await Promise.all(keys.slice(i, i + PARALLEL_WRITES).map((key) => setRegistration(key, hold.id, on)));
  }
}
