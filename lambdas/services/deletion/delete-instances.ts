/**
 * DELETE of a study, series or instance (non-standard, as Azure's and Google's DICOM services),
 * one bounded step at a time so that a deletion of any size fits the time of a request or of a
 * workflow step (services/deletion/request-deletion.ts decides which). Per instance the bytes go
 * first (every version), then the index entry with its counts; an object under Object Lock
 * refuses and its instance stays whole, so a partial delete never leaves an index entry without
 * bytes. Instances are taken in (series, SOP) order and the last one handled is the step's
 * cursor. Once every instance is handled, empty series and study entries go, and a tombstone
 * makes the resource answer 410.
 */
import { deletionCursor, type DeletionProgress } from '#core/deletion/deletion.ts';
import { personNameText } from '#core/dicom/dicom-json.ts';
import { nameTokens } from '#core/qido/matching.ts';
import { metadataObjectKey, type InstanceIdentity, type ResourceScope } from '#core/index-keys.ts';
import { getInstanceRecord, listEarlierVersions, listInstanceRecords, type InstanceRecord } from '#adapters/index-store.ts';
import { deleteObjectsUnlessRefused, isLocked } from '#adapters/object-store.ts';
import { deleteInstanceEntries, deleteVersionEntries, deleteSeriesEntry, deleteStudyEntry, putTombstone, type DeletedLevel } from '#adapters/deletion/deletion-store.ts';
import { seriesOfStudy } from '#adapters/search-store.ts';
import { getStudyDataset } from '#adapters/study-store.ts';
import { reconcileStudy } from '#services/maintenance/reconcile-counts.ts';

// Instance deletes per transaction, leaving room for the two counts and the usage counters (≤ 100 actions).
const BATCH = 75;

/** The instances the scope holds now. */
export async function instancesInScope(scope: ResourceScope): Promise<InstanceRecord[]> {
  return scope.sop && scope.series
    ? [await getInstanceRecord(scope as InstanceIdentity)].filter((r): r is InstanceRecord => r !== undefined)
    : listInstanceRecords(scope.tenant, scope.study, scope.series);
}

export interface DeletionStep {
  progress: DeletionProgress;
  /** Every instance is handled and the study, series and tombstone are settled. */
  complete: boolean;
}

/**
 * Deletes from where `progress` stopped, one batch after another while `timeLeftMs()` allows at
 * least `reserveMs` more; idempotent, so a step repeated after a crash only finishes the work.
 */
export async function deleteStep(
  scope: ResourceScope,
  progress: DeletionProgress,
  context: { now: Date; timeLeftMs: () => number; reserveMs: number },
): Promise<DeletionStep> {
  const at = context.now.toISOString();
  const next = { ...progress };
  const order = (r: InstanceRecord) => deletionCursor(r.id);
  const pending = (await instancesInScope(scope)).filter((r) => next.after === undefined || order(r) > next.after).sort((a, b) => (order(a) < order(b) ? -1 : 1));
  // Instances whose bytes are gone and whose entries go next, in one transaction per series.
  let unindexed: InstanceRecord[] = [];
  const removeEntries = async () => {
    if (unindexed.length === 0) return;
    const removed = await deleteInstanceEntries(unindexed, at);
    next.deleted += removed.removed.length;
    next.countsDrifted ||= removed.countsDrifted;
    unindexed = [];
  };
  for (const [i, record] of pending.entries()) {
    // At least one instance per step, so every step makes progress.
    if (i > 0 && context.timeLeftMs() < context.reserveMs) {
      await removeEntries();
      return { progress: next, complete: false };
    }
    if (await deleteObjects(record, context.now, at)) unindexed.push(record);
    else next.kept++;
    // The cursor is recorded only with the step's result, after these entries are gone: a crash
    // before that repeats the instances, whose bytes are already deleted, and removes their entries.
    next.after = order(record);
    if (unindexed.length >= BATCH || pending[i + 1]?.id.series !== record.id.series) await removeEntries();
  }
  await settleStudy(scope, next, context.now);
  return { progress: next, complete: true };
}

/** Once every instance is handled: the empty series and study entries go, then the tombstone. */
async function settleStudy(scope: ResourceScope, progress: DeletionProgress, now: Date): Promise<void> {
  const all = await seriesOfStudy(scope.tenant, scope.study, { readUnits: 0 });
  for (const gone of all.filter((s) => scope.series === undefined || s.series === scope.series)) {
    if ((await listInstanceRecords(scope.tenant, scope.study, gone.series)).length > 0) continue;
    const remaining = new Set(all.filter((s) => s.series !== gone.series).map((s) => String(s.dicom['00080060']?.Value?.[0] ?? '')));
    // Refused when a STOW added to the series meanwhile (it stays), or the study's count drifted.
    if (!(await deleteSeriesEntry(scope.tenant, scope.study, gone.series, remaining, String(gone.dicom['00080060']?.Value?.[0] ?? '')))) progress.countsDrifted = true;
  }
  if (progress.countsDrifted) await reconcileStudy(scope.tenant, scope.study, now.toISOString());
  const study = (await seriesOfStudy(scope.tenant, scope.study, { readUnits: 0 })).length === 0 && (await getStudyDataset(scope.tenant, scope.study));
  // Refused (and kept) when a STOW created a series in it meanwhile.
  if (study) await deleteStudyEntry(scope.tenant, scope.study, [...new Set(nameTokens(personNameText(study, '00100010')))]);
  const level: DeletedLevel = scope.sop ? 'instance' : scope.series ? 'series' : 'study';
  if (progress.kept === 0) await putTombstone(level, scope, now.toISOString());
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
