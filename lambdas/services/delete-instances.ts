/**
 * DELETE of a study, series or instance (non-standard, as Azure's DICOM service; admin only).
 * Per instance the bytes go first (every version), then the index entry with its counts; an
 * object under Object Lock refuses and its instance stays whole, so a partial delete never
 * leaves an index entry without bytes. A tombstone makes the resource answer 410; the audit
 * trail records the deletion (the handler's audit event, with the counts). The disposition
 * workflows will take this over.
 */
import { ConflictError, GoneError, NotFoundError } from '#core/errors.ts';
import { holdsCovering } from '#core/holds/covering.ts';
import { holdsCoveringData } from '#services/holds/holds-covering.ts';
import { nameTokens } from '#core/qido/matching.ts';
import { metadataObjectKey, type InstanceIdentity, type ResourceScope } from '#core/index-keys.ts';
import { getInstanceRecord, listEarlierVersions, listInstanceRecords, type InstanceRecord } from '#adapters/index-store.ts';
import { deleteObjectsUnlessRefused, isLocked } from '#adapters/object-store.ts';
import {
  deleteInstanceEntries,
  deleteVersionEntries,
  deleteSeriesEntry,
  deleteStudyEntry,
  putTombstone,
  wasDeleted,
  type DeletedLevel,
} from '#adapters/deletion-store.ts';
import { seriesOfStudy } from '#adapters/search-store.ts';
import { patientIdOf } from '#core/audit/subjects.ts';
import { reconcileStudy } from '#services/maintenance/reconcile-counts.ts';

export interface DeleteResult {
  deleted: number;
  /** Instances left in place because Object Lock (legal hold, retention) protects them. */
  locked: string[];
  /** The study's PatientID (0010,0020), for the audit record. */
  patientId: string | undefined;
}

// Instance deletes per transaction, leaving room for the two counts and the usage counters (≤ 100 actions).
const BATCH = 75;

export async function deleteResources(scope: ResourceScope, context: { now: Date; requestId: string }): Promise<DeleteResult> {
  const records = scope.sop && scope.series
    ? [await getInstanceRecord(scope as InstanceIdentity)].filter((r): r is InstanceRecord => r !== undefined)
    : await listInstanceRecords(scope.tenant, scope.study, scope.series);
  if (records.length === 0) {
    if (await wasDeleted(scope)) throw new GoneError('this resource was deleted');
    throw new NotFoundError('no such resource');
  }
  // A legal hold refuses the whole request before anything goes (docs/legal-hold.md).
  const holds = holdsCovering({ studyHolds: await holdsCoveringData(scope), instanceHolds: records.flatMap((r) => r.holds ?? []) });
  if (holds.length) throw new ConflictError(`held by legal hold ${holds.join(', ')}: nothing was deleted`);
  const result: DeleteResult = { deleted: 0, locked: [], patientId: patientIdOf(records[0]!.study) };
  const at = context.now.toISOString();
  const bySeries = new Map<string, InstanceRecord[]>();
  for (const record of records) bySeries.set(record.id.series, [...(bySeries.get(record.id.series) ?? []), record]);

  // Counts found lower than what they count (drift) are recomputed once the entries are gone.
  let countsDrifted = false;
  for (const [series, members] of bySeries) {
    const removable: InstanceRecord[] = [];
    for (const record of members) {
      if (await deleteObjects(record, context.now, at)) removable.push(record);
      else result.locked.push(record.id.sop);
    }
    for (let i = 0; i < removable.length; i += BATCH) {
      const removed = await deleteInstanceEntries(removable.slice(i, i + BATCH), at);
      result.deleted += removed.removed.length;
      countsDrifted ||= removed.countsDrifted;
    }
    if ((await listInstanceRecords(scope.tenant, scope.study, series)).length === 0) {
      const all = await seriesOfStudy(scope.tenant, scope.study, { readUnits: 0 });
      const gone = all.find((s) => s.series === series);
      const remaining = new Set(all.filter((s) => s.series !== series).map((s) => String(s.dicom['00080060']?.Value?.[0] ?? '')));
      // Refused when a STOW added to the series meanwhile (it stays), or the study's count drifted.
      if (gone && !(await deleteSeriesEntry(scope.tenant, scope.study, series, remaining, String(gone.dicom['00080060']?.Value?.[0] ?? '')))) countsDrifted = true;
    }
  }
  if (countsDrifted) await reconcileStudy(scope.tenant, scope.study, context.now.toISOString());
  if ((await seriesOfStudy(scope.tenant, scope.study, { readUnits: 0 })).length === 0) {
    const name = records[0]!.study['00100010']?.Value?.[0] as Record<string, string> | undefined;
    // Refused (and kept) when a STOW created a series in it meanwhile.
    await deleteStudyEntry(scope.tenant, scope.study, [...new Set(nameTokens(Object.values(name ?? {}).join('=')))]);
  }
  const level: DeletedLevel = scope.sop ? 'instance' : scope.series ? 'series' : 'study';
  if (result.locked.length === 0) await putTombstone(level, scope, at);
  return result;
}

/**
 * Deletes every version's object, then the earlier versions' items (before the instance item,
 * so none is left without its instance); false, deleting nothing, if Object Lock protects any.
 */
async function deleteObjects(record: InstanceRecord, now: Date, at: string): Promise<boolean> {
  const earlier = await listEarlierVersions(record);
  const keys = [record.objectKey, ...earlier.map((v) => v.objectKey)];
  for (const key of keys) if (await isLocked(key, now)) return false;
  // Each version's metadata document is PHI too (the whole DICOM JSON): it goes with the bytes.
  const metadataKeys = [record.sha256, ...earlier.map((v) => v.sha256)].map((sha256) => metadataObjectKey(record.id, sha256));
  if (!(await deleteObjectsUnlessRefused([...keys, ...metadataKeys]))) return false;
  await deleteVersionEntries(record, earlier, at);
  return true;
}
