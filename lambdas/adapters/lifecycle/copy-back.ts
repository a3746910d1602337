/**
 * Copy back to a warmer class (docs/lifecycle.md, "Copy back"), in steps a crash can stop
 * anywhere and a rerun finishes:
 * 1. `copyToWarmerClass`: the archived object, from its restored copy, is copied onto its own key
 *    in the warmer class (CopyObject in place; in parts with UploadPartCopy above CopyObject's
 *    5 GB limit), tagged with the decision's tags and `strata-rewarmed-from` = the archived version.
 * 2. The caller applies the new class to the index.
 * 3. `finishCopyBack`: the archived version is deleted (a versioned bucket would keep billing it
 *    as a noncurrent Glacier version) and the marker tag dropped.
 * The marker is on the object whose tags every re-evaluation reads anyway: a rerun that finds it
 * resumes at step 2 (the index takes the current version's class) and does step 3; it never
 * copies twice. The caller checks Object Lock first: a locked version cannot be deleted.
 */
import { CopyObjectCommand, DeleteObjectCommand, HeadObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { config } from '#lambdas/config.ts';
import { s3Client } from '#adapters/aws-clients.ts';
import { needsPartCopy } from '#core/copy-parts.ts';
import { copyInParts, type CopyOptions } from '#adapters/object-store.ts';
import { putObjectTags } from './object-tags.ts';

/** The tag a copied-back object carries until the archived version it was copied from is deleted. */
export const REWARMED_FROM_TAG = 'strata-rewarmed-from';

/** Step 1. Returns the archived version copied from (undefined in an unversioned bucket, where the copy replaced it). */
export async function copyToWarmerClass(key: string, storageClass: string, tags: Record<string, string>, options: CopyOptions = {}): Promise<string | undefined> {
  const Bucket = config.archiveBucket();
  const head = await s3Client().send(new HeadObjectCommand({ Bucket, Key: key }));
  const archived = head.VersionId && head.VersionId !== 'null' ? head.VersionId : undefined;
  // Unversioned, a crash after the copy leaves only the copy: nothing to copy again.
  if ((head.StorageClass ?? 'STANDARD') === storageClass) return undefined;
  const CopySource = `${Bucket}/${key.split('/').map(encodeURIComponent).join('/')}${archived ? `?versionId=${encodeURIComponent(archived)}` : ''}`;
  const Tagging = new URLSearchParams(archived ? { ...tags, [REWARMED_FROM_TAG]: archived } : tags).toString();
  const StorageClass = storageClass as CopyObjectCommand['input']['StorageClass'];
  const size = head.ContentLength ?? 0;
  if (needsPartCopy(size, options.singleCopyLimit)) {
    // A multipart upload copies no metadata: the object's own is given again.
    await copyInParts(CopySource, key, size, options.partBytes, { StorageClass, Tagging, Metadata: head.Metadata ?? {}, ...(head.ContentType ? { ContentType: head.ContentType } : {}) });
    return archived;
  }
  await s3Client().send(new CopyObjectCommand({ Bucket, Key: key, CopySource, StorageClass, MetadataDirective: 'COPY', TaggingDirective: 'REPLACE', Tagging }));
  return archived;
}

/** Step 3: the archived version deleted (already gone is fine), then the marker dropped from the copy's `tags`. */
export async function finishCopyBack(key: string, archived: string, tags: Record<string, string>): Promise<void> {
  try {
    await s3Client().send(new DeleteObjectCommand({ Bucket: config.archiveBucket(), Key: key, VersionId: archived }));
  } catch (error) {
    if (!(error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) throw error;
  }
  const { [REWARMED_FROM_TAG]: _marker, ...kept } = tags;
  await putObjectTags(key, kept);
}

/** The current version's storage class (a resumed copy back applies it to the index). */
export async function currentStorageClass(key: string): Promise<string> {
  const head = await s3Client().send(new HeadObjectCommand({ Bucket: config.archiveBucket(), Key: key }));
  return head.StorageClass ?? 'STANDARD';
}
