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
import { deleteInstanceEntries, deleteVersionEntries, deleteSeriesEntry, deleteStudyEntry, entryRemovalActions, INSTANCES_PER_TRANSACTION, MAX_TRANSACTION_ACTIONS, putTombstone, type DeletedLevel } from '#adapters/deletion/deletion-store.ts';
import { removeDeleteMarkers } from '#adapters/object-versions.ts';
import { seriesOfStudy } from '#adapters/search-store.ts';
import { getStudyDataset } from '#adapters/study-store.ts';
import { saveProgress, type ProgressTarget } from '#adapters/deletion/deletion-records.ts';
import { reconcileStudy } from '#services/maintenance/reconcile-counts.ts';
import { isHeld } from '#services/holds/holds-covering.ts';

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
  const target: ProgressTarget = { tenant: scope.tenant, id, from: next.after };
  const order = (r: InstanceRecord) => deletionCursor(r.id);
  const pending = (await instancesInScope(scope)).filter((r) => next.after === undefined || order(r) > next.after).sort((a, b) => (order(a) < order(b) ? -1 : 1));
  const timeUp = () => context.timeLeftMs() < context.reserveMs;
  // Instances whose bytes are gone and whose entries go next, in one transaction per series.
  let unindexed: InstanceRecord[] = [];
  // The cursor moves only with the entries of the instances before it, in one transaction: a
  // crash before it repeats those instances, whose bytes are already gone, and removes their entries.
  const save = async () => {
    if (next.after === undefined || next.after === target.from) return;
    const progress = { after: next.after, kept: next.kept, countsDrifted: next.countsDrifted };
    const stamp = context.clock().toISOString();
    const result = unindexed.length ? await deleteInstanceEntries(unindexed, at, { target, progress, stamp }, restoreBytes) : undefined;
    next.deleted += result?.removed.length ?? 0;
    next.kept += result?.held.length ?? 0;
    next.countsDrifted ||= result?.countsDrifted ?? false;
    // Nothing removed (every instance kept, or its entry already gone): the progress alone.
    if (!result?.removed.length) await saveProgress(target, { ...progress, kept: next.kept, countsDrifted: next.countsDrifted }, stamp);
    unindexed = [];
    target.from = next.after;
  };
  for (const [i, record] of pending.entries()) {
    // At least one instance per step, so every step makes progress.
    if (i > 0 && timeUp()) {
      await save();
      return { progress: next, complete: false };
    }
    // DynamoDB takes at most 100 actions per transaction, usage counters included.
    if (unindexed.length >= INSTANCES_PER_TRANSACTION || entryRemovalActions([...unindexed, record], at) > MAX_TRANSACTION_ACTIONS) await save();
    const outcome = await deleteInstance(record, context.now, at, timeUp);
    if (outcome === 'unfinished') {
      // Its versions took the step's time: the next step goes on from them (cursor before it).
      await save();
      return { progress: next, complete: false };
    }
    if (outcome === 'deleted') unindexed.push(record);
    else next.kept++;
    next.after = order(record);
    if (pending[i + 1]?.id.series !== record.id.series) await save();
  }
  await settleStudy(scope, next, context.now, context.clock);
  return { progress: next, complete: true };
}

/** Once every instance is handled: the empty series and study entries go, then the tombstone. */
export async function settleStudy(scope: ResourceScope, progress: DeletionProgress, now: Date, clock: () => Date, options: { tombstone?: boolean } = {}): Promise<void> {
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
  // Dated when written, after every entry went: bytes a push stored while the deletion ran (its
  // ingest time earlier) are then "stored, then deleted", which the orphan sweep never brings back.
  // Also when something was kept (held, locked) beside what went: without it the sweep would
  // index again a push the deletion removed. Kept instances are indexed, so the sweep never
  // weighs them; only a deletion that removed nothing at all leaves no tombstone.
  if (options.tombstone === false) return;
  if (progress.kept === 0 || progress.deleted > 0) await putTombstone(level, scope, clock().toISOString());
}

/**
 * One instance's bytes: kept whole if a legal hold covers it — checked now, just before its
 * bytes go, so a hold placed while the deletion runs is honoured — or Object Lock protects any
 * version. Otherwise the earlier versions go one by one, each version's object and metadata
 * document and then its item, so an instance with very many versions makes progress on every
 * attempt; the current version's bytes go last (its entry goes with the batch).
 */
async function deleteInstance(record: InstanceRecord, now: Date, at: string, timeUp: () => boolean): Promise<'deleted' | 'kept' | 'unfinished'> {
  const earlier = await listEarlierVersions(record);
  const versions = [...earlier, record];
  if (record.holds?.length || (await isHeld(record.id))) {
    // A step that died after deleting these bytes, before the hold, left delete markers: the
    // hold keeps the instance, so its bytes come back (every version is still in S3, and locked).
    await restoreVersions(record, versions);
    return 'kept';
  }
  for (const version of versions) if (await isLocked(version.objectKey, now)) return 'kept';
  // At least one version per call, so a step whose first instance has very many versions still progresses.
  for (const [j, version] of earlier.entries()) {
    if (j > 0 && timeUp()) return 'unfinished';
    if (!(await deleteObjectsUnlessRefused(keysOf(record, version)))) return 'kept';
    await deleteVersionEntries(record, [version], at);
  }
  return (await deleteObjectsUnlessRefused(keysOf(record, record))) ? 'deleted' : 'kept';
}

async function restoreVersions(record: InstanceRecord, versions: readonly { objectKey: string; sha256: string }[]): Promise<void> {
  for (const version of versions) for (const key of keysOf(record, version)) await removeDeleteMarkers(key);
}

/**
 * Instances whose bytes went before a hold placed since refused their entries' removal: their
 * bytes come back (the current version; earlier versions a hold found gone stay recoverable in S3).
 */
const restoreBytes = async (held: InstanceRecord[]) => {
  for (const record of held) await restoreVersions(record, [record]);
};

/** A version's object and its metadata document (PHI too: the whole DICOM JSON). */
const keysOf = (record: InstanceRecord, version: { objectKey: string; sha256: string }) => [version.objectKey, metadataObjectKey(record.id, version.sha256)];
