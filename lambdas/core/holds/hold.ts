/**
 * Legal holds (docs/legal-hold.md): what a hold is, what a request to place one must say, and
 * which registrations (held study, patient, accession) make it effective in the index at once.
 * Pure: the ids, the clock and the caller come from outside.
 */
import { BadRequestError } from '#core/errors.ts';
import { isUid } from '#core/dicom/uid.ts';
import { Keys } from '#core/index-keys.ts';

/** What a hold preserves: one patient (issuer optional: any issuer), one study, one accession, or a QIDO study query. */
export type HoldScope =
  | { patient: { id: string; issuer?: string } }
  | { study: string }
  | { accession: string }
  | { query: string };

export type HoldStatus = 'active' | 'released';

export interface HoldRequest {
  matter: string;
  reason: string;
  scope: HoldScope;
}

export interface Hold extends HoldRequest {
  id: string;
  tenant: string;
  status: HoldStatus;
  createdAt: string;
  createdBy: string;
  releasedAt?: string;
  releasedBy?: string;
  /** Studies the hold covers (resolved at placement, plus studies held at ingest later). */
  studies: string[];
  /**
   * Each covered study with its PatientID ('' when it has none), so every hold action is in the
   * audit trail of each patient it covered, whatever the scope (holds placed before this was
   * kept have none: their patient scope stands for it).
   */
  subjects?: HeldSubject[];
  /** S3 Object Lock progress of the latest workflow (placing or releasing). */
  progress: HoldProgress;
}

export interface HoldProgress {
  /** `placing`/`releasing` while the workflow runs; `locked` or `unlocked` when it completed. */
  s3: 'placing' | 'locked' | 'releasing' | 'unlocked';
  studiesDone: number;
  instances: number;
  bytes: number;
  objectVersions: number;
}

export interface HeldSubject {
  study: string;
  patientId: string;
}

/** A held subject as stored in the hold item's string set: unambiguous whatever the characters. */
export const encodeHeldSubject = (subject: HeldSubject) => JSON.stringify([subject.patientId, subject.study]);
export function decodeHeldSubject(text: string): HeldSubject {
  const [patientId, study] = JSON.parse(text) as [string, string];
  return { patientId, study };
}

/**
 * The audit subjects of a hold action: one per patient the hold covers, with that patient's
 * studies, so `GET /audit?patient=` finds the action whether the hold named the patient, a
 * study, an accession or a query. Studies without a PatientID go in one subject without one.
 */
export function holdAuditSubjects(hold: Pick<Hold, 'scope' | 'studies' | 'subjects'>): { patientId: string | undefined; studies: string[] }[] {
  if (!hold.subjects?.length) return [{ patientId: 'patient' in hold.scope ? hold.scope.patient.id : undefined, studies: hold.studies }];
  const byPatient = new Map<string, Set<string>>();
  for (const { patientId, study } of hold.subjects) byPatient.set(patientId, (byPatient.get(patientId) ?? new Set()).add(study));
  if ('patient' in hold.scope && !byPatient.has(hold.scope.patient.id)) byPatient.set(hold.scope.patient.id, new Set());
  return [...byPatient]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([patientId, studies]) => ({ patientId: patientId || undefined, studies: [...studies].sort() }));
}

/** DICOM LO is 64 characters; matter and reason are short labels, not documents. */
const MAX_TEXT = 256;
const MAX_QUERY = 2048;

const text = (value: unknown, name: string, max = MAX_TEXT): string => {
  if (typeof value !== 'string' || !value.trim() || value.length > max) throw new BadRequestError(`${name} must be a non-empty string of at most ${max} characters`);
  return value;
};

/** Validates a POST /holds body (already parsed JSON). */
export function parseHoldRequest(body: unknown): HoldRequest {
  const shape = '{"matter": "…", "reason": "…", "scope": {"patient": {"id": "…", "issuer": "…"}} | {"study": "<UID>"} | {"accession": "…"} | {"query": "<QIDO query>"}}';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError(`the body must be a JSON object: ${shape}`);
  const { matter, reason, scope } = body as Record<string, unknown>;
  return { matter: text(matter, 'matter'), reason: text(reason, 'reason'), scope: parseScope(scope, shape) };
}

function parseScope(scope: unknown, shape: string): HoldScope {
  if (typeof scope !== 'object' || scope === null || Array.isArray(scope) || Object.keys(scope).length !== 1) {
    throw new BadRequestError(`scope must name exactly one of patient, study, accession or query: ${shape}`);
  }
  const s = scope as Record<string, unknown>;
  if ('patient' in s) {
    const patient = s.patient as Record<string, unknown> | null;
    if (typeof patient !== 'object' || patient === null) throw new BadRequestError('scope.patient must be {"id": "…", "issuer": "…"}');
    const id = text(patient.id, 'scope.patient.id', 64);
    return patient.issuer === undefined ? { patient: { id } } : { patient: { id, issuer: text(patient.issuer, 'scope.patient.issuer', 64) } };
  }
  if ('study' in s) {
    if (typeof s.study !== 'string' || !isUid(s.study)) throw new BadRequestError('scope.study must be a Study Instance UID');
    return { study: s.study };
  }
  if ('accession' in s) return { accession: text(s.accession, 'scope.accession', 64) };
  if ('query' in s) return { query: text(s.query, 'scope.query', MAX_QUERY) };
  throw new BadRequestError(`scope must name exactly one of patient, study, accession or query: ${shape}`);
}

/**
 * The registrations that make ingest hold later arrivals: a patient hold covers any new study
 * of the patient, an accession hold any study with the accession. (Study and query holds
 * cover the studies they resolved to, each registered as a held study.) A patient hold is
 * registered under its PatientID whatever issuer it names, as placement resolves it: most
 * modalities send no IssuerOfPatientID, and a study that arrives without one must not escape a
 * hold that names one (preserving too much is the safe side).
 */
export function scopeRegistration(tenant: string, scope: HoldScope): { pk: string; sk: string } | undefined {
  if ('patient' in scope) return Keys.heldPatient(tenant, scope.patient.id, '');
  if ('accession' in scope) return Keys.heldAccession(tenant, scope.accession);
  return undefined;
}

/**
 * The registrations an arriving instance is checked against: its study, its patient (under
 * "any issuer", and under its own issuer for registrations written before patient holds were
 * registered by PatientID alone), its accession number.
 */
export function registrationsOf(tenant: string, arriving: { study: string; patientId?: string | undefined; issuer?: string | undefined; accession?: string | undefined }): { pk: string; sk: string }[] {
  const keys = [Keys.heldStudy(tenant, arriving.study)];
  if (arriving.patientId) {
    keys.push(Keys.heldPatient(tenant, arriving.patientId, ''));
    if (arriving.issuer) keys.push(Keys.heldPatient(tenant, arriving.patientId, arriving.issuer));
  }
  if (arriving.accession) keys.push(Keys.heldAccession(tenant, arriving.accession));
  return keys;
}
