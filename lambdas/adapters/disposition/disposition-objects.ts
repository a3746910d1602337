/**
 * The archive bucket as disposition uses it. The bucket is versioned (Object Lock requires it):
 * - soft-delete is a plain DeleteObject, which adds a delete marker and keeps the bytes as a
 *   noncurrent version; restore and purge are adapters/object-versions.ts;
 * - reports are plain objects; certificates of destruction are written under Object Lock
 *   (COMPLIANCE), so nobody can delete them before their retention date.
 */
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
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
