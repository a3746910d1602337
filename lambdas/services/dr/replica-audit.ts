/**
 * The DR audit (docs/dr.md): compares the primary index with the DR replica, study by study,
 * for one tenant — missing replicas (past the grace period: the replication lag), extra objects
 * in the replica, replicas whose stored SHA-256 differs from the one recorded at ingest, and the
 * oldest unreplicated version's age (the recovery point). Each instance whose current version is
 * found whole is marked confirmed on its index item (replication status per instance). Damage is
 * reported, never repaired. One page of studies per call (the tenant's studies on gsi3), so a
 * workflow step (handlers/dr/audit-replica-page.ts) or the CLI (scripts/dr-audit.ts) carries
 * the state; the damaged keys it lists are capped (`listLimit`), their counts are not.
 */
import { compareStudy, type ReplicaObject } from '#core/dr/replica-audit.ts';
import { instanceIdentityFromKey } from '#core/index-keys.ts';
import { listReplicaKeys, replicaSha256 } from '#adapters/dr/replica-objects.ts';
import { confirmReplica } from '#adapters/dr/replica-status.ts';
import { listInstanceRecords } from '#adapters/index-store.ts';
import { listEarlierVersions } from '#adapters/instance-versions.ts';
import { studyPage } from '#adapters/study-counts.ts';

export interface ReplicaAuditState {
  /** gsi3 cursor while studies remain. */
  cursor?: string | undefined;
  done: boolean;
  studies: number;
  versions: number;
  confirmed: number;
  /** Confirmed for the first time in this audit (recorded on the index). */
  newlyConfirmed: number;
  pending: number;
  missing: { key: string; ageSeconds: number }[];
  mismatched: { key: string; recorded: string; replica: string | undefined }[];
  extra: string[];
  /** All found, listed or not. */
  missingCount: number;
  mismatchedCount: number;
  extraCount: number;
  oldestUnreplicatedSeconds: number;
}

export const emptyAuditState = (): ReplicaAuditState => ({
  done: false,
  studies: 0,
  versions: 0,
  confirmed: 0,
  newlyConfirmed: 0,
  pending: 0,
  missing: [],
  mismatched: [],
  extra: [],
  missingCount: 0,
  mismatchedCount: 0,
  extraCount: 0,
  oldestUnreplicatedSeconds: 0,
});

export interface AuditOptions {
  replicaBucket: string;
  /** Unreplicated versions younger than this are pending, not missing (15 min: RTC's objective). */
  graceSeconds: number;
  pageSize?: number;
  /** At most this many keys listed per kind (missing, mismatched, extra); the counts go on. Default: all. */
  listLimit?: number;
}

/** Unreplicated versions younger than this are pending: RTC's 15 minutes (docs/dr.md). */
export const REPLICATION_GRACE_SECONDS = 900;
const STUDIES_PER_PAGE = 25;
const HEADS_AT_ONCE = 16;

export async function auditReplicaPage(tenant: string, state: ReplicaAuditState, now: Date, options: AuditOptions): Promise<ReplicaAuditState> {
  const next: ReplicaAuditState = { ...state, missing: [...state.missing], mismatched: [...state.mismatched], extra: [...state.extra] };
  const page = await studyPage(tenant, state.cursor, options.pageSize ?? STUDIES_PER_PAGE);
  for (const { study } of page.studies) await auditStudy(tenant, study, now, options, next);
  next.cursor = page.more ? page.studies.at(-1)?.cursor : undefined;
  next.done = !page.more;
  return next;
}

async function auditStudy(tenant: string, study: string, now: Date, options: AuditOptions, state: ReplicaAuditState): Promise<void> {
  const records = await listInstanceRecords(tenant, study);
  const keys = (await listReplicaKeys(options.replicaBucket, `${tenant}/studies/${study}/`)).filter((key) => instanceIdentityFromKey(key));
  const replica: ReplicaObject[] = [];
  for (let from = 0; from < keys.length; from += HEADS_AT_ONCE) {
    const heads = await Promise.all(keys.slice(from, from + HEADS_AT_ONCE).map(async (key) => ({ key, sha256: await replicaSha256(options.replicaBucket, key) })));
    for (const head of heads) if (head.sha256 !== null) replica.push({ key: head.key, sha256: head.sha256 });
  }
  const comparison = compareStudy(records.map((r) => ({ key: r.objectKey, sha256: r.sha256, ingestedAt: r.ingestedAt })), replica, now, options.graceSeconds);
  state.studies++;
  state.versions += records.length;
  state.pending += comparison.pending.length;
  const limit = options.listLimit ?? Infinity;
  const list = <T>(into: T[], found: readonly T[]) => into.push(...found.slice(0, Math.max(0, limit - into.length)));
  list(state.missing, comparison.missing);
  state.missingCount += comparison.missing.length;
  list(state.mismatched, comparison.mismatched);
  state.mismatchedCount += comparison.mismatched.length;
  state.oldestUnreplicatedSeconds = Math.max(state.oldestUnreplicatedSeconds, comparison.oldestUnreplicatedSeconds);
  // A replica object that is not a current version may be an earlier version the index keeps.
  for (const key of comparison.unmatched) {
    const id = instanceIdentityFromKey(key)!;
    const current = records.find((r) => r.id.series === id.series && r.id.sop === id.sop);
    const earlier = current ? (await listEarlierVersions(current)).some((version) => version.sha256 === id.sha256) : false;
    if (earlier) continue;
    list(state.extra, [key]);
    state.extraCount++;
  }
  for (const version of comparison.confirmed) {
    state.confirmed++;
    const record = records.find((r) => r.objectKey === version.key)!;
    if (record.replica?.sha256 === record.sha256) continue;
    if (await confirmReplica(record.id, record.sha256, now)) state.newlyConfirmed++;
  }
}
