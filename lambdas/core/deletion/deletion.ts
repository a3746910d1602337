/**
 * A deletion (DELETE of a study, series or instance) as a durable record: written before the
 * first byte goes, advanced as it proceeds, and finished when the last index entry is gone. A
 * deletion interrupted by a crash or a timeout is therefore never forgotten: the index
 * maintenance resumes any whose progress stopped (docs/deletion.md).
 */
import type { ResourceScope } from '#core/index-keys.ts';

export type DeletionStatus = 'DELETING' | 'COMPLETED' | 'PARTLY_KEPT';

/** How far a deletion got: instances are taken in (series, SOP) order, so the last one done is its cursor. */
export interface DeletionProgress {
  /** `<series>#<sop>` of the last instance handled. */
  after?: string | undefined;
  deleted: number;
  /** Instances left in place because Object Lock (retention) protects them. */
  kept: number;
  /** A count was found lower than what it counts: the study is recounted at the end. */
  countsDrifted: boolean;
}

export interface Deletion {
  id: string;
  scope: ResourceScope;
  status: DeletionStatus;
  requestedAt: string;
  requestedBy: string;
  /** Instances the scope held when the deletion was asked for. */
  instances: number;
  progress: DeletionProgress;
  updatedAt: string;
  finishedAt?: string | undefined;
  /** Executions of the deletion workflow started for it (0 while the request itself finishes it). */
  attempts: number;
  /** The study's PatientID, for the audit record. */
  patientId?: string | undefined;
  /**
   * Finished, but its completion is not in the audit trail yet: it stays among the deletions
   * under way until it is, so a crash between the two cannot leave a deletion unaudited.
   */
  auditPending?: boolean | undefined;
}

export const DELETION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const NO_PROGRESS: DeletionProgress = { deleted: 0, kept: 0, countsDrifted: false };

/**
 * A deletion whose progress has not moved for this long is taken as no longer worked on: every
 * batch records progress, a batch cannot outlast its request (29 s) or workflow step (300 s),
 * and a failed step is retried within seconds. A retried step that is still in its first batch
 * can be mistaken for stalled (a few steps in a row that time out); then two workers run, and
 * every save being conditional on the cursor it started from makes the later one stop
 * (`DeletionSuperseded`) with nothing done twice.
 */
export const STALLED_AFTER_MS = 10 * 60_000;

/** Nobody works on it any more: its deleting, or the audit record of its completion, is left to do. */
export function isStalled(deletion: Pick<Deletion, 'status' | 'updatedAt' | 'auditPending'>, now: Date): boolean {
  const unfinished = deletion.status === 'DELETING' || deletion.auditPending === true;
  return unfinished && now.getTime() - Date.parse(deletion.updatedAt) >= STALLED_AFTER_MS;
}

/** Another worker moved the deletion on (or finished it) since this one read where it stood. */
export class DeletionSuperseded extends Error {
  constructor(id: string) {
    super(`deletion ${id} was carried on by another worker`);
    this.name = 'DeletionSuperseded';
  }
}

/** The position of an instance in a deletion's order. */
export const deletionCursor = (id: { series: string; sop: string }): string => `${id.series}#${id.sop}`;

export const finalStatus = (progress: DeletionProgress): DeletionStatus => (progress.kept > 0 ? 'PARTLY_KEPT' : 'COMPLETED');

/** Whether a deletion's scope (a study, a series of it, or one instance) takes in this instance. */
export function scopeCovers(scope: { study: string; series?: string | undefined; sop?: string | undefined }, id: { study: string; series: string; sop: string }): boolean {
  return scope.study === id.study && (scope.series === undefined || scope.series === id.series) && (scope.sop === undefined || scope.sop === id.sop);
}
