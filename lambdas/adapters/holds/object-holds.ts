/**
 * S3 Object Lock legal holds on every version of an archive object: ListObjectVersions of the
 * key (its versions, never its neighbours'), then PutObjectLegalHold per version id.
 */
import { ListObjectVersionsCommand, PutObjectLegalHoldCommand } from '@aws-sdk/client-s3';
import { config } from '#lambdas/config.ts';
import { s3Client } from '#adapters/aws-clients.ts';

/** The version ids of one key, delete markers excluded (they have no lock). */
export async function objectVersionIds(key: string): Promise<string[]> {
  const Bucket = config.archiveBucket();
  const ids: string[] = [];
  let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
  for (;;) {
    const page = await s3Client().send(new ListObjectVersionsCommand({ Bucket, Prefix: key, ...markers }));
    for (const version of page.Versions ?? []) if (version.Key === key && version.VersionId) ids.push(version.VersionId);
    if (!page.IsTruncated) return ids;
    markers = { KeyMarker: page.NextKeyMarker!, VersionIdMarker: page.NextVersionIdMarker! };
  }
}

/** Sets (or clears) the legal hold on each version of `key`; returns how many versions. */
export async function setLegalHoldOnVersions(key: string, on: boolean): Promise<number> {
  const Bucket = config.archiveBucket();
  const ids = await objectVersionIds(key);
  for (const VersionId of ids) {
    await s3Client().send(new PutObjectLegalHoldCommand({ Bucket, Key: key, VersionId, LegalHold: { Status: on ? 'ON' : 'OFF' } }));
  }
  return ids.length;
}

/** Holds the current version of a just-written object (a study held at ingest). */
export async function holdCurrentVersion(key: string): Promise<void> {
  await s3Client().send(new PutObjectLegalHoldCommand({ Bucket: config.archiveBucket(), Key: key, LegalHold: { Status: 'ON' } }));
}
