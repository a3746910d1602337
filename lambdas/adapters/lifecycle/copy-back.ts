/**
 * Copies an archived object, from its restored copy, onto its own key in a warmer storage class
 * (CopyObject in place: S3 allows it when the class changes), with the new tags; then deletes the
 * archived version, which a versioned bucket would otherwise keep (and bill) as noncurrent.
 * The caller checks Object Lock first: a locked version cannot be deleted, so it is not copied.
 */
import { CopyObjectCommand, DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { config } from '#lambdas/config.ts';
import { s3Client } from '#adapters/aws-clients.ts';

export async function copyToWarmerClass(key: string, storageClass: string, tags: Record<string, string>): Promise<void> {
  const Bucket = config.archiveBucket();
  const { VersionId } = await s3Client().send(new HeadObjectCommand({ Bucket, Key: key }));
  const source = `${Bucket}/${key.split('/').map(encodeURIComponent).join('/')}${VersionId ? `?versionId=${encodeURIComponent(VersionId)}` : ''}`;
  await s3Client().send(
    new CopyObjectCommand({
      Bucket,
      Key: key,
      CopySource: source,
      StorageClass: storageClass as CopyObjectCommand['input']['StorageClass'],
      MetadataDirective: 'COPY',
      TaggingDirective: 'REPLACE',
      Tagging: new URLSearchParams(tags).toString(),
    }),
  );
  if (VersionId && VersionId !== 'null') await s3Client().send(new DeleteObjectCommand({ Bucket, Key: key, VersionId }));
}
