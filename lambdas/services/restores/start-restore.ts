/**
 * Starting a study's restore, idempotently: the restore record (one per study, written with a
 * conditional put) decides whether a request starts a new round or joins the one in progress;
 * the workflow execution is named after the round, so re-issuing StartExecution for a round
 * already started starts nothing new (and repairs a round whose start was cut off after the put).
 */
import { BadRequestError } from '#core/errors.ts';
import { patientIdOf } from '#core/audit/subjects.ts';
import { ARCHIVE_CLASSES, restoreDelayMs, type RestoreTier } from '#core/restores/restore-tiers.ts';
import { replaceable, type RestoreReason, type RestoreRecord } from '#core/restores/restore-record.ts';
import { clock } from '#adapters/clock.ts';
import { listInstanceRecords, type InstanceRecord } from '#adapters/index-store.ts';
import { getRestoreRecord, putRestoreRecord } from '#adapters/restores/restore-records.ts';
import { startWorkflow } from '#adapters/workflows.ts';
import { opaqueNameOf } from '#adapters/workflows/references.ts';
import { config } from '#lambdas/config.ts';

export interface RestoreRequest {
  /** Asked for explicitly (POST /restores): refused when it cannot apply; else the policy's. */
  tier?: RestoreTier | undefined;
  days?: number | undefined;
  reason: RestoreReason;
  requestedBy?: string | undefined;
}

export interface RestoreOutcome {
  /** The restore in progress (new or joined), or undefined when nothing of the study is archived. */
  record: RestoreRecord | undefined;
  /** Whether this request started the round. */
  started: boolean;
}

const DEFAULT_TIER: RestoreTier = 'Standard';
const DEFAULT_DAYS = 7;

/** Archived instances whose bytes cannot be read now (no unexpired restored copy in the index). */
export function unreadable(records: readonly InstanceRecord[], now: Date): InstanceRecord[] {
  return records.filter((r) => ARCHIVE_CLASSES.has(r.storageClass) && !(r.restoredUntil !== undefined && Date.parse(r.restoredUntil) > now.getTime()));
}

export async function ensureStudyRestore(tenant: string, study: string, request: RestoreRequest, known?: InstanceRecord[]): Promise<RestoreOutcome> {
  const now = clock.now();
  const existing = await getRestoreRecord(tenant, study);
  if (existing && !replaceable(existing, now)) {
    await startRound(existing);
    return { record: existing, started: false };
  }
  const records = known ?? (await listInstanceRecords(tenant, study));
  const cold = unreadable(records, now);
  if (cold.length === 0) return { record: undefined, started: false };
  const retrieval = config.lifecyclePolicy().retrieval ?? {};
  const tier = request.tier ?? retrieval.tier ?? DEFAULT_TIER;
  const classes = new Set(cold.map((r) => r.storageClass));
  if (request.reason === 'request' && request.tier === 'Expedited' && classes.has('DEEP_ARCHIVE')) {
    throw new BadRequestError('Expedited retrieval is not available for DEEP_ARCHIVE; ask for Standard (up to 12 hours) or Bulk (up to 48 hours)');
  }
  const record: RestoreRecord = {
    tenant,
    study,
    round: (existing?.round ?? 0) + 1,
    tier,
    days: request.days ?? retrieval.days ?? DEFAULT_DAYS,
    status: 'IN_PROGRESS',
    reason: request.reason,
    requestedAt: now.toISOString(),
    expectedReadyAt: new Date(now.getTime() + restoreDelayMs(classes, tier)).toISOString(),
    total: cold.length,
    restored: 0,
    patientId: patientIdOf(records[0]!.study),
    requestedBy: request.requestedBy,
  };
  if (!(await putRestoreRecord(record, existing))) {
    // Another request started a round between our read and our write: join it.
    const winner = await getRestoreRecord(tenant, study);
    return { record: winner, started: false };
  }
  await startRound(record);
  return { record, started: true };
}

/** The execution of one round: its name is the round's (the study salted with the tenant's salt), its input only what the record fixes. */
export async function executionName(record: Pick<RestoreRecord, 'tenant' | 'study' | 'round'>): Promise<string> {
  return `restore-${await opaqueNameOf(record.tenant, `${record.tenant}/${record.study}`)}-${record.round}`;
}

async function startRound(record: RestoreRecord): Promise<void> {
  try {
    await startWorkflow(config.restoreStateMachineArn(), await executionName(record), {
      tenant: record.tenant,
      study: record.study,
      round: record.round,
      tier: record.tier,
      days: record.days,
    });
  } catch (error) {
    // AWS refuses a name reused after its execution ended: that round's requests were made.
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
  }
}
