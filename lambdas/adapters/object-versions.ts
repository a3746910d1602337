/**
 * The version stack of one key in the archive bucket, which is versioned (Object Lock requires
 * it): a plain DeleteObject adds a delete marker and keeps the bytes as a noncurrent version,
 * so an interrupted or overruled delete (a legal hold, a STOW that won a race, a disposition
 * restore) is undone by removing the markers above the newest version, byte for byte.
 * The DR replica (docs/dr.md) is versioned too; a disposition's purge destroys there as well.
 */
import {
  DeleteObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  ListObjectVersionsCommand,
  S3ServiceException,
  type ListObjectVersionsCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { config } from '#lambdas/config.ts';
import { s3Client, s3ReplicaClient } from './aws-clients.ts';

/** A versioned copy of the archive's objects: the archive bucket itself, or its DR replica. */
export interface VersionedCopy {
  /** `archive` or `dr-replica` (as a certificate of destruction names it). */
  name: string;
  bucket: string;
  client: S3Client;
}

export const archiveCopy = (): VersionedCopy => ({ name: 'archive', bucket: config.archiveBucket(), client: s3Client() });

/**
 * The DR replica when this deployment has one: BUCKET_DR_REPLICA is set only where the DR stack
 * is deployed (`-c drBucketArn`) and the function is granted on it (infra/strata-stack.ts).
 */
export function replicaCopy(): VersionedCopy | undefined {
  const bucket = config.declaredReplicaBucket();
  return bucket ? { name: 'dr-replica', bucket, client: s3ReplicaClient() } : undefined;
}

interface KeyVersion {
  versionId: string;
  deleteMarker: boolean;
  /** S3's IsLatest: the current version (an object, or a delete marker that makes the key answer 404). */
  latest: boolean;
}

/** Every version and delete marker of exactly `key`, each kind newest first (S3's order). */
async function versionsOf(key: string, copy: VersionedCopy = archiveCopy()): Promise<KeyVersion[]> {
  const found: KeyVersion[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page: ListObjectVersionsCommandOutput = await copy.client.send(
      new ListObjectVersionsCommand({ Bucket: copy.bucket, Prefix: key, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }),
    );
    for (const v of page.Versions ?? []) if (v.Key === key && v.VersionId) found.push({ versionId: v.VersionId, deleteMarker: false, latest: v.IsLatest === true });
    for (const m of page.DeleteMarkers ?? []) if (m.Key === key && m.VersionId) found.push({ versionId: m.VersionId, deleteMarker: true, latest: m.IsLatest === true });
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return found;
}

/**
 * Removes the delete markers above the newest version, one current marker at a time as S3's
 * IsLatest names it (LastModified has a resolution of a second, too coarse to order a delete
 * and a write within it); returns how many (0: nothing to undo). A key whose only versions are
 * markers keeps none of them: there is nothing to bring back, and it answers 404 either way.
 */
export async function removeDeleteMarkers(key: string): Promise<number> {
  let removed = 0;
  for (;;) {
    const versions = await versionsOf(key);
    const current = versions.find((v) => v.latest);
    if (!current?.deleteMarker || !versions.some((v) => !v.deleteMarker)) return removed;
    await s3Client().send(new DeleteObjectCommand({ Bucket: config.archiveBucket(), Key: key, VersionId: current.versionId }));
    removed += 1;
  }
}

/** How many versions and delete markers `key` has in `copy`. */
export async function countVersions(key: string, copy: VersionedCopy = archiveCopy()): Promise<number> {
  return (await versionsOf(key, copy)).length;
}

/** Deletes every version and delete marker of `key` in `copy`; returns how many were deleted. */
export async function purgeAllVersions(key: string, copy: VersionedCopy = archiveCopy()): Promise<number> {
  const versions = await versionsOf(key, copy);
  for (const version of versions) await copy.client.send(new DeleteObjectCommand({ Bucket: copy.bucket, Key: key, VersionId: version.versionId }));
  return versions.length;
}


/** No lock on that version: S3 answers NoSuchObjectLockConfiguration (404) for a version never locked. */
const unlocked = (error: unknown) => error instanceof S3ServiceException && (error.name === 'NoSuchObjectLockConfiguration' || error.$metadata.httpStatusCode === 404);

/**
 * Why S3 Object Lock would refuse to delete a version of `key` in `copy` (a legal hold, or a
 * retention date after `now`), the first such version's; undefined when none is locked. Delete
 * markers carry no lock. A purge asks this of every version before it destroys any.
 */
export async function lockedVersion(key: string, copy: VersionedCopy, now: Date): Promise<string | undefined> {
  for (const version of await versionsOf(key, copy)) {
    if (version.deleteMarker) continue;
    const addressed = { Bucket: copy.bucket, Key: key, VersionId: version.versionId };
    const [hold, retention] = await Promise.all([
      copy.client.send(new GetObjectLegalHoldCommand(addressed)).catch((error: unknown) => (unlocked(error) ? undefined : Promise.reject(error))),
      copy.client.send(new GetObjectRetentionCommand(addressed)).catch((error: unknown) => (unlocked(error) ? undefined : Promise.reject(error))),
    ]);
    if (hold?.LegalHold?.Status === 'ON') return 'an S3 legal hold';
    const until = retention?.Retention?.RetainUntilDate;
    if (until !== undefined && new Date(until).getTime() > now.getTime()) return `S3 retention (${retention!.Retention!.Mode}) until ${new Date(until).toISOString()}`;
  }
  return undefined;
}

/** S3's refusal to delete a version: Object Lock (or no permission), 403 AccessDenied. */
export const deletionRefused = (error: unknown) => error instanceof S3ServiceException && (error.name === 'AccessDenied' || error.$metadata.httpStatusCode === 403);
