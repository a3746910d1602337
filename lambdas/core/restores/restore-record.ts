/**
 * A restore of one study's archived instances: what the index records about it, its public
 * id, and when it may be replaced by a new one. One record per study (not per tier): S3
 * restores an object once at a time, and its completion event names no tier, so two restores
 * of one study would count the same completions.
 */
import type { RestoreTier } from './restore-tiers.ts';

export type RestoreStatus = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** Why a restore was started: a WADO read, a request to /restores, a prior prefetch, or a discovery export. */
export type RestoreReason = 'retrieve' | 'request' | 'prefetch' | 'export';

export interface RestoreRecord {
  tenant: string;
  study: string;
  /** Raised on each new restore of the study: the id names one round, never a later one. */
  round: number;
  tier: RestoreTier;
  /** Days the restored copies stay readable. */
  days: number;
  status: RestoreStatus;
  reason: RestoreReason;
  requestedAt: string;
  /** When the slowest object is expected to be readable (the tier's documented upper bound). */
  expectedReadyAt: string;
  /** Archived instances this restore waits for, and how many of them S3 has restored so far. */
  total: number;
  restored: number;
  completedAt?: string | undefined;
  patientId?: string | undefined;
  /** The client that asked (the token's client id), for GET /restores. */
  requestedBy?: string | undefined;
}

/** How late past its expected time a restore still counts as running: S3's ranges are not promises. */
const GRACE_MS = 24 * 3_600_000;

/** `<round>.<study>`: names one round of one study's restore; the tenant comes from the caller. */
export function restoreIdOf(record: Pick<RestoreRecord, 'round' | 'study'>): string {
  return `${record.round}.${record.study}`;
}

export function parseRestoreId(id: string): { round: number; study: string } | undefined {
  const match = /^([1-9][0-9]{0,8})\.([0-9.]{1,64})$/.exec(id);
  return match ? { round: Number(match[1]), study: match[2]! } : undefined;
}

/**
 * Whether a new restore may replace `existing`: none yet, a finished one, or one stuck well past
 * its expected time. Anything else is the restore in progress, and asking again starts nothing.
 */
export function replaceable(existing: Pick<RestoreRecord, 'status' | 'expectedReadyAt'> | undefined, now: Date): boolean {
  if (!existing || existing.status !== 'IN_PROGRESS') return true;
  return now.getTime() > Date.parse(existing.expectedReadyAt) + GRACE_MS;
}

/** Seconds a client should wait before asking again (Retry-After): until the expected time, at least a minute. */
export function retryAfterSeconds(record: Pick<RestoreRecord, 'expectedReadyAt'>, now: Date): number {
  return Math.max(60, Math.ceil((Date.parse(record.expectedReadyAt) - now.getTime()) / 1000));
}

/** The public view of a record (GET /restores, the WADO 503 body). */
export function restoreView(record: RestoreRecord) {
  return {
    id: restoreIdOf(record),
    study: record.study,
    status: record.status,
    tier: record.tier,
    reason: record.reason,
    requestedAt: record.requestedAt,
    expectedReadyAt: record.expectedReadyAt,
    instances: { total: record.total, restored: Math.min(record.restored, record.total) },
    ...(record.completedAt ? { completedAt: record.completedAt } : {}),
  };
}
