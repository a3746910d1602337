/**
 * Rebuilds the DynamoDB index from the archive bucket alone (docs/dr.md): after losing the
 * table, or when promoting the DR replica. Every instance version in the bucket carries its
 * tenant, UIDs, SHA-256 and ingest time (`x-amz-meta-strata-*`) and has a metadata document
 * (DICOM JSON, kept in S3 Standard under `<tenant>/metadata/`), so no instance's bytes are read
 * — archived ones (GLACIER, DEEP_ARCHIVE) included. Each version is indexed through the STOW
 * service's own indexing (indexWrittenInstances) as of its ingest time, so counts, name tokens,
 * series and study items are written by the same transactions, and versions found in any order
 * end with the newest current. Then its tier and restored copy are applied as the storage-class
 * events would apply them.
 *
 * What the bucket cannot give back is reported, not invented: keys whose current version is a
 * delete marker (deleted or soft-deleted instances: they stay out of the index, as they were out
 * of every answer) are not listed at all; legal holds are counted (the hold records themselves
 * live only in the index); frame byte ranges are not rebuilt (frame requests read the object).
 *
 * Resumable: the state after each page (its cursor is the last key examined) can be saved and
 * passed back; an already indexed version is skipped, so a repeated page changes nothing.
 */
import { instanceIdentityFromKey, instanceObjectKey, metadataObjectKey, type InstanceIdentity } from '#core/index-keys.ts';
import { beforeRangeEnd, type KeyRange } from '#core/dr/rebuild-ranges.ts';
import { listArchivePage } from '#adapters/archive-listing.ts';
import { headArchivedObject, type ArchivedObject } from '#adapters/dr/archive-objects.ts';
import { getInstanceRecord, type InstanceRecord } from '#adapters/index-store.ts';
import { isEarlierVersion } from '#adapters/instance-versions.ts';
import { readMetadataObject } from '#adapters/object-store.ts';
import { indexedLevels } from '#services/ingest/instance-record.ts';
import { onTierEvent } from '#services/restores/tier-events.ts';
import { indexWrittenInstances, MAX_PARTS_PER_REQUEST } from '#services/store-instances.ts';

export interface Unindexed {
  key: string;
  reason: string;
}

export interface RebuildState {
  /** The last key examined while keys remain; absent at the start and once done. */
  cursor?: string | undefined;
  done: boolean;
  /** Instance versions examined. */
  examined: number;
  indexedAsCurrent: number;
  indexedAsEarlierVersion: number;
  /** Already in the index (a resumed or repeated run). */
  alreadyIndexed: number;
  /** Versions whose tier (or restored copy) was applied after indexing. */
  tiersApplied: number;
  /** Versions under an S3 legal hold: their hold records are not in the bucket (docs/dr.md). */
  legallyHeld: number;
  /** Other objects (metadata documents, staging, export packages): not instances. */
  otherObjects: number;
  unindexed: Unindexed[];
}

export const emptyRebuildState = (): RebuildState => ({
  done: false,
  examined: 0,
  indexedAsCurrent: 0,
  indexedAsEarlierVersion: 0,
  alreadyIndexed: 0,
  tiersApplied: 0,
  legallyHeld: 0,
  otherObjects: 0,
  unindexed: [],
});

const PAGE = 500;

/**
 * One listing page of the rebuild; call again with the returned state until `done`. A study's
 * versions are indexed together in the order they were ingested (the study item keeps what its
 * first instance said, as STOW does), so a study cut by the page end is listed to its end first.
 * With a key range (core/dr/rebuild-ranges.ts, cut between studies), the page covers only its
 * keys: workers on different ranges rebuild different studies at once.
 */
export async function rebuildIndexPage(state: RebuildState, now: Date, pageSize = PAGE, range: KeyRange = {}): Promise<RebuildState> {
  const next: RebuildState = { ...state, unindexed: [...state.unindexed] };
  const page = await listArchivePage('', state.cursor ?? range.startAfter, pageSize);
  const keys = page.objects.map((object) => object.key).filter((key) => beforeRangeEnd(key, range));
  // Past the range's end: the rest is another worker's.
  const more = page.more && keys.length === page.objects.length;
  const last = instanceIdentityFromKey(keys.at(-1) ?? '');
  if (more && last) {
    // The last study may go on past this page: list the rest of it (a study, not the bucket).
    const prefix = studyPrefix(last);
    for (let more = true; more; ) {
      const rest = await listArchivePage(prefix, keys.at(-1), pageSize);
      keys.push(...rest.objects.map((object) => object.key));
      more = rest.more;
    }
  }
  const studies = new Map<string, (InstanceIdentity & { sha256: string; key: string })[]>();
  for (const key of keys) {
    const id = instanceIdentityFromKey(key);
    if (!id) {
      next.otherObjects++;
      continue;
    }
    const group = studies.get(studyPrefix(id)) ?? [];
    group.push({ ...id, key });
    studies.set(studyPrefix(id), group);
  }
  await inParallel([...studies.values()], STUDIES_AT_ONCE, (versions) => rebuildStudy(versions, now, next));
  next.done = !more;
  next.cursor = next.done ? undefined : keys.at(-1);
  return next;
}

const studyPrefix = (id: InstanceIdentity) => `${id.tenant}/studies/${id.study}/`;

/** Studies rebuilt at once: independent partitions; a study's own versions go in order. */
const STUDIES_AT_ONCE = 4;
/** HEADs in flight for one study. */
const HEADS_AT_ONCE = 16;

type Version = InstanceIdentity & { sha256: string; key: string };
type Checked = { id: Version; head: ArchivedObject; record: InstanceRecord };

/**
 * Indexes one study's versions oldest first, the versions of one ingest moment (one STOW request)
 * together, as that request indexed them; counts each outcome into `state`.
 */
async function rebuildStudy(versions: Version[], now: Date, state: RebuildState): Promise<void> {
  const heads: { id: Version; head: ArchivedObject | undefined }[] = [];
  await inParallel(versions, HEADS_AT_ONCE, async (id) => void heads.push({ id, head: await headArchivedObject(id.key) }));
  heads.sort((a, b) => (a.head?.metadata.ingestedAt ?? '').localeCompare(b.head?.metadata.ingestedAt ?? '') || a.id.key.localeCompare(b.id.key));
  const unindexed = (id: Version, reason: string) => state.unindexed.push({ key: id.key, reason });
  for (let from = 0; from < heads.length; ) {
    const moment = heads[from]!.head?.metadata.ingestedAt;
    let to = from + 1;
    while (to < heads.length && moment !== undefined && heads[to]!.head?.metadata.ingestedAt === moment && to - from < MAX_PARTS_PER_REQUEST) to++;
    const batch: Checked[] = [];
    for (const { id, head } of heads.slice(from, to)) {
      state.examined++;
      const checked = await checkVersion(id, head).catch((error: unknown) => ({ reason: failure(error) }));
      if (checked === 'already') {
        state.alreadyIndexed++;
        if (head?.legalHold) state.legallyHeld++;
      } else if ('reason' in checked) unindexed(id, checked.reason);
      else batch.push(checked);
    }
    from = to;
    if (!batch.length) continue;
    const refused = await indexBatch(batch).catch((error: unknown) => new Map(batch.map((c) => [c.id.sop, failure(error)])));
    for (const { id, head } of batch) {
      const outcome = refused.get(id.sop) ?? (await indexedNow(id));
      if (typeof outcome === 'string' && outcome !== 'current' && outcome !== 'earlier') {
        unindexed(id, outcome);
        continue;
      }
      if (outcome === 'current') state.indexedAsCurrent++;
      else state.indexedAsEarlierVersion++;
      if (await applyTier(id, head, now)) state.tiersApplied++;
      if (head.legalHold) state.legallyHeld++;
    }
  }
}

const failure = (error: unknown) => `failed: ${(error as Error).name}: ${(error as Error).message}`;

/** A version the bucket describes fully, ready to index; 'already' when the index holds it (a resumed page). */
async function checkVersion(id: Version, head: ArchivedObject | undefined): Promise<Checked | 'already' | { reason: string }> {
  if (!head) return { reason: 'deleted while the rebuild ran' };
  const { metadata } = head;
  if (!metadata.ingestedAt || Number.isNaN(Date.parse(metadata.ingestedAt))) return { reason: 'no strata-ingested-at metadata: not stored by Strata' };
  if (metadata.sha256 !== id.sha256) return { reason: `its strata-sha256 metadata (${metadata.sha256 ?? 'none'}) does not match the SHA-256 in its key` };
  if (metadata.tenant !== id.tenant || metadata.study !== id.study || metadata.series !== id.series || metadata.sop !== id.sop) {
    return { reason: 'its strata-* UIDs do not match its key' };
  }
  const current = await getInstanceRecord(id);
  if (current && (current.sha256 === id.sha256 || (await isEarlierVersion(current, id.sha256)))) return 'already';
  const dataset = await readMetadataObject(metadataObjectKey(id, id.sha256));
  if (!dataset) return { reason: 'no metadata document: restore the object and let the orphan sweep index it from its bytes' };
  const record: InstanceRecord = {
    id: { tenant: id.tenant, study: id.study, series: id.series, sop: id.sop },
    sopClassUID: metadata.sopClass ?? '',
    transferSyntaxUID: metadata.transferSyntax ?? '',
    sha256: id.sha256,
    size: head.size,
    objectKey: instanceObjectKey(id, id.sha256),
    storageClass: 'STANDARD',
    ingestedAt: metadata.ingestedAt,
    ...indexedLevels(dataset),
  };
  return { id, head, record };
}

/** Indexes one ingest moment's versions of a study as their STOW request did; the SOPs it refused, with why. */
async function indexBatch(batch: Checked[]): Promise<Map<string, string>> {
  const { id, record } = batch[0]!;
  const result = await indexWrittenInstances(
    batch.map((c) => ({ record: c.record, warnings: [] })),
    { tenant: id.tenant, studyInUrl: id.study, serviceUrl: '', now: new Date(record.ingestedAt) },
  );
  const refused = new Map<string, string>();
  for (const item of (result.body['00081198']?.Value ?? []) as Record<string, { Value?: unknown[] }>[]) {
    const sop = String(item['00081155']?.Value?.[0] ?? '');
    const reason = item['00081197']?.Value?.[0];
    refused.set(sop, `refused by the STOW service, failure reason 0x${Number(reason).toString(16).toUpperCase()}`);
  }
  return refused;
}

/** What the index holds of a version just indexed. */
async function indexedNow(id: Version): Promise<'current' | 'earlier' | string> {
  const current = await getInstanceRecord(id);
  if (current?.sha256 === id.sha256) return 'current';
  if (current && (await isEarlierVersion(current, id.sha256))) return 'earlier';
  return 'indexed, then no longer found in the index (deleted meanwhile?)';
}

/** Runs `task` on every item, at most `width` at once. */
async function inParallel<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** The version's tier and restored copy, applied as S3's storage-class and restore events apply them. */
async function applyTier(id: InstanceIdentity & { sha256: string }, head: ArchivedObject, now: Date): Promise<boolean> {
  let applied = false;
  if (head.storageClass !== 'STANDARD') {
    await onTierEvent(id, id.sha256, { storageClass: head.storageClass, at: now.toISOString() });
    applied = true;
  }
  if (head.restoredUntil && Date.parse(head.restoredUntil) > now.getTime()) {
    await onTierEvent(id, id.sha256, { restoredUntil: head.restoredUntil, at: now.toISOString() });
    applied = true;
  }
  return applied;
}
