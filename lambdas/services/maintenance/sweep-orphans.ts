/**
 * The orphan sweep: objects in the archive bucket that the index does not know — bytes a crash
 * stored without an index entry, or whose indexing failed. Each object carries its own index
 * metadata (x-amz-meta-strata-*), so an orphan older than a few minutes (no STOW can still be
 * indexing it) is indexed through the STOW service itself, as of its own ingest time; what
 * cannot be indexed is reported with the reason. One S3 page per call, or less when the call's
 * time runs short: the cursor is the last key examined (ListObjectsV2 StartAfter).
 */
import { createHash } from 'node:crypto';
import { instanceIdentityFromKey, instancesPrefix, type InstanceIdentity } from '#core/index-keys.ts';
import { listArchivePage, type ListedObject } from '#adapters/archive-listing.ts';
import { scopeCovers, type Deletion } from '#core/deletion/deletion.ts';
import { lastDeletedAt } from '#adapters/deletion/deletion-store.ts';
import { deletionsUnderWay } from '#adapters/deletion/deletion-records.ts';
import { getInstanceRecord } from '#adapters/index-store.ts';
import { isEarlierVersion } from '#adapters/instance-versions.ts';
import { headInstanceObject, readInstanceBytes } from '#adapters/object-store.ts';
import { storeInstances } from '#services/store-instances.ts';

/** Far longer than a STOW request may run (API Gateway ends them at 29 s). */
export const MIN_ORPHAN_AGE_MINUTES = 5;

export interface Unindexable {
  key: string;
  reason: string;
}

export interface SweepState {
  /** The last key examined while keys remain. */
  cursor?: string | undefined;
  examined: number;
  tooRecent: number;
  alreadyIndexed: number;
  indexedAsCurrent: number;
  indexedAsEarlierVersion: number;
  /** Keys indexed by the sweep (the first ones, bounded for the workflow state). */
  indexed: string[];
  unindexable: Unindexable[];
}

const PAGE = 200;
const TIME_RESERVE_MS = 10_000; // indexing one large orphan, and the answer
const MAX_LISTED = 100;

/** One page of the sweep of `tenant`'s instance objects (its report names keys of that tenant only). */
export async function sweepOrphansPage(tenant: string, state: Partial<SweepState>, now: Date, timeLeftMs: () => number): Promise<SweepState> {
  const next: SweepState = { examined: 0, tooRecent: 0, alreadyIndexed: 0, indexedAsCurrent: 0, indexedAsEarlierVersion: 0, indexed: [], unindexable: [], ...state, cursor: undefined };
  const page = await listArchivePage(instancesPrefix(tenant), state.cursor, PAGE);
  const cutoff = now.getTime() - MIN_ORPHAN_AGE_MINUTES * 60_000;
  // A deletion under way has no tombstone yet: bytes a push wrote again while it ran, whose entry
  // it then removed, wait for it to end (its tombstone then says "stored, then deleted").
  const deleting: Deletion['scope'][] = [];
  for await (const deletion of deletionsUnderWay(tenant)) if (deletion.status === 'DELETING') deleting.push(deletion.scope);
  let last: string | undefined;
  for (const object of page.objects) {
    if (last !== undefined && timeLeftMs() < TIME_RESERVE_MS) break;
    last = object.key;
    const id = instanceIdentityFromKey(object.key);
    if (!id) continue; // metadata documents and anything else that is not an instance version
    next.examined++;
    // LastModified is S3's time; `now` the clock's (the local runtime's may run ahead of it).
    if (object.lastModified.getTime() > cutoff) {
      next.tooRecent++;
      continue;
    }
    if (await isIndexed(id, id.sha256)) {
      next.alreadyIndexed++;
      continue;
    }
    if (deleting.some((scope) => scopeCovers(scope, id))) {
      if (next.unindexable.length < MAX_LISTED) next.unindexable.push({ key: object.key, reason: 'a deletion of it is under way: left until it ends' });
      continue;
    }
    // One object that cannot be read (an archive tier, an error) is reported, not fatal to the sweep.
    const outcome = await indexOrphan(object, id).catch((error: unknown) => ({ reason: `could not be read or indexed: ${(error as Error).name}` }));
    if (outcome === 'current' || outcome === 'earlier') {
      if (outcome === 'current') next.indexedAsCurrent++;
      else next.indexedAsEarlierVersion++;
      if (next.indexed.length < MAX_LISTED) next.indexed.push(object.key);
    } else if (next.unindexable.length < MAX_LISTED) next.unindexable.push({ key: object.key, reason: outcome.reason });
  }
  next.cursor = page.more || last !== page.objects.at(-1)?.key ? last : undefined;
  return next;
}

async function isIndexed(id: InstanceIdentity, sha256: string): Promise<boolean> {
  const current = await getInstanceRecord(id);
  if (!current) return false;
  return current.sha256 === sha256 || (await isEarlierVersion(current, sha256));
}

async function indexOrphan(object: ListedObject, id: InstanceIdentity & { sha256: string }): Promise<'current' | 'earlier' | { reason: string }> {
  if (object.storageClass === 'GLACIER' || object.storageClass === 'DEEP_ARCHIVE') return { reason: `in ${object.storageClass}: restore it to index it` };
  const head = await headInstanceObject(object.key);
  if (!head) return { reason: 'deleted while the sweep ran' };
  const { ingestedAt } = head.metadata;
  if (!ingestedAt || Number.isNaN(Date.parse(ingestedAt))) return { reason: 'no strata-ingested-at metadata: not stored by Strata' };
  // Bytes a crash left behind while their instance was deleted must not bring it back.
  const deletedAt = await lastDeletedAt(id);
  if (deletedAt && deletedAt >= ingestedAt) return { reason: `its instance was deleted (${deletedAt}) after it was stored: left for disposition` };
  const bytes = await readInstanceBytes(object.key);
  if (createHash('sha256').update(bytes).digest('hex') !== id.sha256) return { reason: 'its bytes do not match the SHA-256 in its key' };
  const result = await storeInstances([{ headers: { 'content-type': 'application/dicom' }, body: bytes }], {
    tenant: id.tenant,
    studyInUrl: id.study,
    serviceUrl: '',
    now: new Date(ingestedAt),
  });
  const failure = (result.body['00081198']?.Value as Record<string, { Value?: unknown[] }>[] | undefined)?.[0]?.['00081197']?.Value?.[0];
  if (failure !== undefined) return { reason: `refused by the STOW service, failure reason 0x${Number(failure).toString(16).toUpperCase()}` };
  const current = await getInstanceRecord(id);
  if (current?.sha256 === id.sha256) return 'current';
  if (current && (await isEarlierVersion(current, id.sha256))) return 'earlier';
  return { reason: 'indexed, then no longer found in the index (deleted meanwhile?)' };
}
