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
import { deletionCursor, type Deletion, type DeletionProgress } from '#core/deletion/deletion.ts';
import { personNameText } from '#core/dicom/dicom-json.ts';
import { nameTokens } from '#core/qido/matching.ts';
import { metadataObjectKey, type InstanceIdentity, type ResourceScope } from '#core/index-keys.ts';
import { getInstanceRecord, listEarlierVersions, listInstanceRecords, type InstanceRecord } from '#adapters/index-store.ts';
import { deleteObjectsUnlessRefused, isLocked } from '#adapters/object-store.ts';
import { deleteInstanceEntries, deleteVersionEntries, deleteSeriesEntry, deleteStudyEntry, putTombstone, type DeletedLevel } from '#adapters/deletion/deletion-store.ts';
import { seriesOfStudy } from '#adapters/search-store.ts';
import { getStudyDataset } from '#adapters/study-store.ts';
import { progressUpdate, saveProgress } from '#adapters/deletion/deletion-records.ts';
import { reconcileStudy } from '#services/maintenance/reconcile-counts.ts';
import { isHeld } from '#services/holds/holds-covering.ts';

// Instance deletes per transaction, leaving room for the two counts, the usage counters and the progress (≤ 100 actions).
const BATCH = 75;

/** The instances the scope holds now. */
export async function instancesInScope(scope: ResourceScope): Promise<InstanceRecord[]> {
  return scope.sop && scope.series
    ? [await getInstanceRecord(scope as InstanceIdentity)].filter((r): r is InstanceRecord => r !== undefined)
    : listInstanceRecords(scope.tenant, scope.study, scope.series);
}

export interface DeletionStep {
  /** Where this worker left it (its `deleted` counts what this worker saw; the record's is exact). */
  progress: DeletionProgress;
  /** Every instance is handled and the study, series and tombstone are settled. */
  complete: boolean;
}

/**
 * Deletes from where the deletion's progress stopped, one batch after another while
 * `timeLeftMs()` allows at least `reserveMs` more, saving progress with each batch (a heartbeat
 * too: see STALLED_AFTER_MS); idempotent, so a step repeated after a crash only finishes the
 * work. Throws `DeletionSuperseded` when another worker moved the deletion on meanwhile.
 */
export async function deleteStep(
  deletion: Pick<Deletion, 'id' | 'scope' | 'progress'>,
  context: { now: Date; clock: () => Date; timeLeftMs: () => number; reserveMs: number },
): Promise<DeletionStep> {
  const { id, scope } = deletion;
  const at = context.now.toISOString();
  const next = { ...deletion.progress };
  let saved = next.after;
  const order = (r: InstanceRecord) => deletionCursor(r.id);
  const pending = (await instancesInScope(scope)).filter((r) => next.after === undefined || order(r) > next.after).sort((a, b) => (order(a) < order(b) ? -1 : 1));
  // A legal hold placed after the request (which refused a held scope whole) keeps what it covers.
  const studyHeld = pending.length > 0 && (await isHeld({ tenant: scope.tenant, study: scope.study }));
  // Instances whose bytes are gone and whose entries go next, in one transaction per series.
  let unindexed: InstanceRecord[] = [];
  // The cursor moves only with the entries of the instances before it, in one transaction: a
  // crash before it repeats those instances, whose bytes are already gone, and removes their entries.
  const save = async () => {
    if (next.after === undefined || next.after === saved) return;
    const handled = { ...next, after: next.after };
    const stamp = context.clock().toISOString();
    const result = unindexed.length
      ? await deleteInstanceEntries(unindexed, at, (removed, drifted) => progressUpdate(scope.tenant, id, saved, { ...handled, countsDrifted: handled.countsDrifted || drifted }, removed, stamp), id)
      : undefined;
    next.deleted += result?.removed.length ?? 0;
    next.countsDrifted ||= result?.countsDrifted ?? false;
    // Nothing removed (every instance kept, or its entry already gone): the progress alone.
    if (!result?.removed.length) await saveProgress(scope.tenant, id, saved, { ...next, after: next.after }, stamp);
    unindexed = [];
    saved = next.after;
  };
  for (const [i, record] of pending.entries()) {
    // At least one instance per step, so every step makes progress.
    if (i > 0 && context.timeLeftMs() < context.reserveMs) {
      await save();
      return { progress: next, complete: false };
    }
    if (!studyHeld && !record.holds?.length && (await deleteObjects(record, context.now, at))) unindexed.push(record);
    else next.kept++;
    next.after = order(record);
    if (unindexed.length >= BATCH || pending[i + 1]?.id.series !== record.id.series) await save();
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
