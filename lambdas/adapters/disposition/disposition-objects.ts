/**
 * The archive bucket as disposition uses it. The bucket is versioned (Object Lock requires it):
 * - soft-delete is a plain DeleteObject, which adds a delete marker and keeps the bytes as a
 *   noncurrent version;
 * - restore removes the delete markers above a key's newest version, which makes that version
 *   current again, byte for byte;
 * - purge deletes every version and marker of a key (DeleteObject with VersionId);
 * - reports are plain objects; certificates of destruction are written under Object Lock
 *   (COMPLIANCE), so nobody can delete them before their retention date.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  NoSuchKey,
  PutObjectCommand,
  type ListObjectVersionsCommandOutput,
} from '@aws-sdk/client-s3';
import { config } from '#lambdas/config.ts';
import { s3Client } from '#adapters/aws-clients.ts';

const bucket = () => config.archiveBucket();

/** Where a run's reports and certificate live: outside `<tenant>/studies/`, never taken for an instance. */
export const dispositionObjectKey = (tenant: string, id: string, name: 'report.json' | 'report.csv' | 'certificate.json') => `disposition/${tenant}/${id}/${name}`;

/** DeleteObject without a version: the delete marker's version id in a versioned bucket. */
export async function softDeleteObject(key: string): Promise<string | undefined> {
  const answer = await s3Client().send(new DeleteObjectCommand({ Bucket: bucket(), Key: key }));
  return answer.DeleteMarker ? answer.VersionId : undefined;
}

interface KeyVersion {
  versionId: string;
  deleteMarker: boolean;
  lastModified: number;
}

/** Every version and delete marker of exactly `key`, newest first. */
async function versionsOf(key: string): Promise<KeyVersion[]> {
  const found: KeyVersion[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page: ListObjectVersionsCommandOutput = await s3Client().send(
      new ListObjectVersionsCommand({ Bucket: bucket(), Prefix: key, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }),
    );
    for (const v of page.Versions ?? []) if (v.Key === key && v.VersionId) found.push({ versionId: v.VersionId, deleteMarker: false, lastModified: v.LastModified?.getTime() ?? 0 });
    for (const m of page.DeleteMarkers ?? []) if (m.Key === key && m.VersionId) found.push({ versionId: m.VersionId, deleteMarker: true, lastModified: m.LastModified?.getTime() ?? 0 });
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return found.sort((a, b) => b.lastModified - a.lastModified);
}

/** Removes the delete markers above the newest version; returns how many (0: nothing to undo). */
export async function removeDeleteMarkers(key: string): Promise<number> {
  let removed = 0;
  for (const version of await versionsOf(key)) {
    if (!version.deleteMarker) break;
    await s3Client().send(new DeleteObjectCommand({ Bucket: bucket(), Key: key, VersionId: version.versionId }));
    removed += 1;
  }
  return removed;
}

/** Deletes every version and delete marker of `key`; returns how many were deleted. */
export async function purgeAllVersions(key: string): Promise<number> {
  const versions = await versionsOf(key);
  for (const version of versions) await s3Client().send(new DeleteObjectCommand({ Bucket: bucket(), Key: key, VersionId: version.versionId }));
  return versions.length;
}

export async function putReportObject(key: string, body: string, contentType: string): Promise<void> {
  await s3Client().send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: body, ContentType: contentType, ChecksumAlgorithm: 'SHA256' }));
}

export async function readReportObject(key: string): Promise<string | undefined> {
  try {
    const answer = await s3Client().send(new GetObjectCommand({ Bucket: bucket(), Key: key }));
    return await answer.Body!.transformToString('utf8');
  } catch (error) {
    if (error instanceof NoSuchKey) return undefined;
    throw error;
  }
}

/** Writes the certificate once, locked in COMPLIANCE mode until `retainUntil`. */
export async function putLockedCertificate(key: string, body: string, retainUntil: Date): Promise<void> {
  await s3Client().send(
    new PutObjectCommand({
      Bucket: bucket(),
      Key: key,
      Body: body,
      ContentType: 'application/json',
      ChecksumAlgorithm: 'SHA256',
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: retainUntil,
    }),
  );
}
