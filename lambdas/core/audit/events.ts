/**
 * The audit vocabulary: DICOM Audit Trail Messages (PS3.15 Annex A.5) as profiled by IHE ATNA.
 * Event ids are codes of CID 400 "Audit Event ID" (coding scheme DCM); action codes are the
 * EventActionCode values C(reate), R(ead), U(pdate), D(elete), E(xecute).
 *
 * Each kind of request Strata audits is one line of `AUDIT_EVENTS`: a new route family (legal
 * hold, restore, disposition, export, policy change) adds its line and passes its kind to
 * `httpHandler(…, { audit: kind })`.
 */
export type EventActionCode = 'C' | 'R' | 'U' | 'D' | 'E';

export interface AuditEventType {
  /** CID 400 code value (coding scheme designator DCM). */
  readonly code: string;
  /** CID 400 code meaning. */
  readonly meaning: string;
  readonly action: EventActionCode;
}

const event = (code: string, meaning: string, action: EventActionCode): AuditEventType => ({ code, meaning, action });

export const DCM = {
  applicationActivity: ['110100', 'Application Activity'],
  auditLogUsed: ['110101', 'Audit Log Used'],
  instancesAccessed: ['110103', 'DICOM Instances Accessed'],
  instancesTransferred: ['110104', 'DICOM Instances Transferred'],
  studyDeleted: ['110105', 'DICOM Study Deleted'],
  export: ['110106', 'Export'],
  query: ['110112', 'Query'],
  securityAlert: ['110113', 'Security Alert'],
} as const satisfies Record<string, readonly [string, string]>;

const of = (name: keyof typeof DCM, action: EventActionCode) => event(DCM[name][0], DCM[name][1], action);

/** What each audited request is, in ATNA terms. */
export const AUDIT_EVENTS = {
  /** STOW-RS: instances received (the archive creates its copy). */
  store: of('instancesTransferred', 'C'),
  /** QIDO-RS: the query is recorded, not its results (PS3.15 A.5.3, Query). */
  query: of('query', 'E'),
  /** WADO-RS instances, metadata, frames, bulk data, rendered and thumbnails: instances sent. */
  retrieve: of('instancesTransferred', 'R'),
  /** DELETE of a whole study. */
  deleteStudy: of('studyDeleted', 'D'),
  /** DELETE of a series or an instance (PS3.15 A.5.3: DICOM Instances Accessed, action D). */
  deleteInstances: of('instancesAccessed', 'D'),
  /** GET /deletions/{id}: how far a deletion that outgrew its request got (docs/deletion.md). */
  deletionStatus: of('query', 'E'),
  /** Administrative workflows that read every instance of a study (fixity audit) or the index (maintenance). */
  adminWorkflow: of('applicationActivity', 'E'),
  /** POST /restores: archived instances are brought back to a readable tier (their storage is updated). */
  restoreRequest: of('instancesAccessed', 'U'),
  /** GET /restores: which studies are being restored, and how far. */
  restoreStatus: of('query', 'E'),
  /** Disposition runs: a dry run started or read, a report approved or rejected (docs/disposition.md). */
  disposition: of('applicationActivity', 'E'),
  /** A soft-deleted study restored within its recovery window. */
  dispositionRestore: of('instancesAccessed', 'U'),
  /** GET /audit and its verification: the audit log itself was read. */
  auditLogUsed: of('auditLogUsed', 'R'),
  /** Placing or releasing a legal hold, and its workflow's completion with the counts (docs/legal-hold.md). */
  legalHold: of('instancesAccessed', 'U'),
  /** Reading holds (their scope names a patient). */
  legalHoldRead: of('instancesAccessed', 'R'),
  /** Discovery exports (docs/exports.md): started, read, listed, downloaded, and the workflow's completion. Instances leave: Export, R. */
  discoveryExport: of('export', 'R'),
  /** The trail's own integrity check found an altered or missing record. */
  securityAlert: of('securityAlert', 'E'),
  /** GET /dicom-web/uploads/{id}: a presigned upload's per-file results (the instances' UIDs). */
  uploadStatus: of('query', 'E'),
} as const satisfies Record<string, AuditEventType>;

export type AuditEventKind = keyof typeof AUDIT_EVENTS;

/** EventOutcomeIndicator (PS3.15 A.5): 0 success, 4 minor failure, 8 serious failure, 12 major failure. */
export type EventOutcome = 0 | 4 | 8 | 12;

/**
 * The outcome of an HTTP exchange: 2xx/3xx success; 4xx a minor failure (the request was refused,
 * nothing happened: not found, bad input, conflict); 5xx a serious failure (the archive failed).
 * A STOW answered 202 (PS3.18 10.5.3: some instances refused or stored with warnings) is a minor
 * failure: not all of it happened as asked. Major failure (12) is kept for a broken audit chain.
 */
export function outcomeOf(kind: AuditEventKind, statusCode: number): EventOutcome {
  if (kind === 'store' && statusCode === 202) return 4;
  if (statusCode < 400) return 0;
  if (statusCode < 500) return 4;
  return 8;
}

/**
 * Whether a request must be refused when its record cannot be written. Reads and queries
 * (R, E) are refused, so nothing is disclosed unrecorded; nothing is lost (the client retries).
 * Creations and deletions (C, U, D) have already happened when the record is written: they are
 * answered as they happened, and the missing record is logged as an error for the operators.
 */
export function failsClosed(kind: AuditEventKind): boolean {
  const { action } = AUDIT_EVENTS[kind];
  return action === 'R' || action === 'E';
}
