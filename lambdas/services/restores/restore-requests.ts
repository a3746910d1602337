/**
 * GET/POST /restores: restores asked for ahead of a read (a study, or every study of a
 * patient) and their progress. Each study has its own restore record and round, shared with
 * WADO and prefetch: asking for a study already being restored joins that restore.
 */
import { BadRequestError, NotFoundError } from '#core/errors.ts';
import { parseRestoreId, restoreView } from '#core/restores/restore-record.ts';
import type { RestoreRequestBody } from '#core/restores/restore-request.ts';
import { getRestoreRecord, listRestoreRecords } from '#adapters/restores/restore-records.ts';
import { studiesOfPatient } from '#adapters/restores/patient-studies.ts';
import { listInstanceRecords } from '#adapters/index-store.ts';
import { ensureStudyRestore } from './start-restore.ts';

/** A patient-wide request covers at most this many studies (newest first); more is refused rather than cut silently. */
export const MAX_STUDIES_PER_REQUEST = 100;

export interface StudyRestoreAnswer {
  study: string;
  /** `ONLINE`: nothing of the study is archived (or every copy is already restored): nothing to do. */
  status: 'ONLINE' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  started: boolean;
  restore?: ReturnType<typeof restoreView> | undefined;
}

export async function requestRestores(tenant: string, request: RestoreRequestBody, requestedBy: string): Promise<{ patientId?: string | undefined; studies: StudyRestoreAnswer[] }> {
  const studies = 'study' in request.scope ? [request.scope.study] : (await studiesOfPatient(tenant, request.scope.patient.id, MAX_STUDIES_PER_REQUEST + 1)).map((s) => s.study);
  if (studies.length > MAX_STUDIES_PER_REQUEST) throw new BadRequestError(`the patient has more than ${MAX_STUDIES_PER_REQUEST} studies; restore them one study at a time`);
  const answers: StudyRestoreAnswer[] = [];
  let patientId = 'patient' in request.scope ? request.scope.patient.id : undefined;
  for (const study of studies) {
    const records = await listInstanceRecords(tenant, study);
    if (records.length === 0) {
      if ('study' in request.scope) throw new NotFoundError(`no study ${study}`);
      continue;
    }
    patientId ??= records[0]!.study['00100020']?.Value?.[0] as string | undefined;
    const { record, started } = await ensureStudyRestore(tenant, study, { tier: request.tier, days: request.days, reason: 'request', requestedBy }, records);
    answers.push(record ? { study, status: record.status, started, restore: restoreView(record) } : { study, status: 'ONLINE', started: false });
  }
  if (answers.length === 0) throw new NotFoundError('no study of this patient is stored');
  return { patientId, studies: answers };
}

export async function restoreById(tenant: string, id: string) {
  const parsed = parseRestoreId(id);
  const record = parsed && (await getRestoreRecord(tenant, parsed.study));
  // Another tenant's study, or a round that is not this one, is as absent as one never started.
  if (!parsed || !record || record.round !== parsed.round) throw new NotFoundError(`no restore ${id.slice(0, 80)}`);
  return { record, view: restoreView(record) };
}

export async function listRestores(tenant: string, filter: { patientId?: string | undefined; limit: number }) {
  if (filter.patientId === undefined) return (await listRestoreRecords(tenant, filter.limit)).map(restoreView);
  const views = [];
  for (const { study } of await studiesOfPatient(tenant, filter.patientId, filter.limit)) {
    const record = await getRestoreRecord(tenant, study);
    if (record) views.push(restoreView(record));
  }
  return views;
}
