/**
 * The body of POST /restores: what to restore ahead of a read, and how fast.
 *   {"study": "<StudyInstanceUID>"} | {"patient": {"id": "<PatientID>"}}, optional "tier", "days".
 * The scope is an object with one key so that later scopes (a legal hold: {"hold": "<id>"},
 * issue 14) are one more key, not a new shape.
 */
import { BadRequestError } from '#core/errors.ts';
import { isUid } from '#core/dicom/uid.ts';
import { isRestoreTier, RESTORE_TIERS, type RestoreTier } from './restore-tiers.ts';

export type RestoreScope = { study: string } | { patient: { id: string } };

export interface RestoreRequestBody {
  scope: RestoreScope;
  tier?: RestoreTier | undefined;
  days?: number | undefined;
}

const USAGE = 'send {"study": "<StudyInstanceUID>"} or {"patient": {"id": "<PatientID>"}}, optionally with "tier" (Expedited, Standard, Bulk) and "days" (1-365)';
const MAX_PATIENT_ID = 64;

export function parseRestoreRequest(body: unknown): RestoreRequestBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError(`the body must be a JSON object: ${USAGE}`);
  const { study, patient, tier, days, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new BadRequestError(`unknown field "${unknown[0]!.slice(0, 40)}": ${USAGE}`);
  if ((study === undefined) === (patient === undefined)) throw new BadRequestError(`name exactly one of "study" and "patient": ${USAGE}`);
  if (tier !== undefined && !isRestoreTier(tier)) throw new BadRequestError(`tier must be one of ${RESTORE_TIERS.join(', ')}`);
  if (days !== undefined && !(Number.isInteger(days) && (days as number) >= 1 && (days as number) <= 365)) throw new BadRequestError('days must be a whole number from 1 to 365');
  let scope: RestoreScope;
  if (study !== undefined) {
    if (typeof study !== 'string' || !isUid(study)) throw new BadRequestError('study must be a Study Instance UID');
    scope = { study };
  } else {
    const id = (patient as { id?: unknown } | null)?.id;
    if (typeof patient !== 'object' || patient === null || typeof id !== 'string' || id === '' || id.length > MAX_PATIENT_ID) {
      throw new BadRequestError(`patient must be {"id": "<PatientID>"} (1-${MAX_PATIENT_ID} characters)`);
    }
    scope = { patient: { id } };
  }
  return { scope, tier: tier as RestoreTier | undefined, days: days as number | undefined };
}
