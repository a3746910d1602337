/**
 * Discovery exports (docs/exports.md): what an export is, what a request to start one must say,
 * and the public view of its progress. Pure: ids, the clock and the caller come from outside.
 */
import { BadRequestError } from '#core/errors.ts';

/** What an export produces: every instance of one legal hold's studies, or of the studies a QIDO query matches. */
export type ExportScope = { hold: string } | { query: string };

export type ExportStatus = 'RUNNING' | 'WAITING_FOR_RESTORE' | 'COMPLETED' | 'FAILED';

export interface ExportRequest {
  scope: ExportScope;
  /** The matter the production is for (free label; the hold's when exporting a hold and none is given). */
  matter?: string | undefined;
}

export interface ExportProgress {
  /** Instances and bytes in scope (counted by the workflow's first step). */
  instances: number;
  bytes: number;
  /** Instances copied into the package (each once), and their bytes. */
  copied: number;
  bytesCopied: number;
  /** Archived instances whose restore the export waits for (after the latest round). */
  waitingForRestore: number;
  /** Copied instances whose SHA-256 at export differs from the one recorded at ingest. */
  mismatches: number;
  /** Copy rounds done (a round after each wait for restores). */
  rounds: number;
}

export interface ExportRecord extends ExportRequest {
  id: string;
  tenant: string;
  status: ExportStatus;
  createdAt: string;
  createdBy: string;
  completedAt?: string | undefined;
  /** Why it failed (FAILED only). */
  error?: string | undefined;
  /** The one patient the scope names (a patient hold, a query by exact PatientID): the audit trail's subject. */
  patientId?: string | undefined;
  /** Study Instance UIDs in scope, resolved when the export was asked for. */
  studies: string[];
  progress: ExportProgress;
  /**
   * When the exported hold was released, if that happened before the package was finished (an
   * export of an already released hold is refused): the view, the summary and the CLI say so.
   */
  holdReleasedAt?: string | undefined;
  /** SHA-256 of the signed summary.json (COMPLETED only), so a download can be checked against the API's word. */
  summarySha256?: string | undefined;
}

export const EMPTY_PROGRESS: ExportProgress = { instances: 0, bytes: 0, copied: 0, bytesCopied: 0, waitingForRestore: 0, mismatches: 0, rounds: 0 };

const MAX_TEXT = 256;
/**
 * The query and matter are kept in the signed summary, which KMS signs whole (≤ 4096 bytes):
 * even with every character escaped in JSON they leave room for the rest.
 */
export const MAX_QUERY = 1024;
const CONTROL = /[\u0000-\u001f\u007f]/;
const HOLD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Export ids are UUIDs, like hold ids: anything else names no export. */
export const isExportId = (id: string) => HOLD_ID.test(id);

/** Validates a POST /exports body (already parsed JSON). */
export function parseExportRequest(body: unknown): ExportRequest {
  const shape = '{"hold": "<hold id>"} or {"query": "<QIDO study query string>"}, optionally with "matter"';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError(`the body must be a JSON object: ${shape}`);
  const { hold, query, matter, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new BadRequestError(`unknown field ${unknown[0]}: ${shape}`);
  if ((hold === undefined) === (query === undefined)) throw new BadRequestError(`name exactly one of hold or query: ${shape}`);
  if (matter !== undefined && (typeof matter !== 'string' || !matter.trim() || matter.length > MAX_TEXT || CONTROL.test(matter))) {
    throw new BadRequestError(`matter must be a non-empty string of at most ${MAX_TEXT} characters, without control characters`);
  }
  let scope: ExportScope;
  if (hold !== undefined) {
    if (typeof hold !== 'string' || !HOLD_ID.test(hold)) throw new BadRequestError('hold must be a hold id (as POST /holds answered it)');
    scope = { hold };
  } else {
    if (typeof query !== 'string' || !query.trim() || query.length > MAX_QUERY || CONTROL.test(query)) {
      throw new BadRequestError(`query must be a QIDO study query string of at most ${MAX_QUERY} characters, without control characters`);
    }
    scope = { query };
  }
  return matter === undefined ? { scope } : { scope, matter: matter as string };
}

/** The public view (GET /exports/{id}): what it covers and how far it is; the tenant stays out. */
export function exportView(record: ExportRecord) {
  const { tenant: _tenant, studies, ...rest } = record;
  return { ...rest, studyCount: studies.length };
}
