/** The archive bucket page by page (ListObjectsV2), for sweeps over every stored object. */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { config } from '#lambdas/config.ts';
import { s3Client } from './aws-clients.ts';

export interface ListedObject {
  key: string;
  lastModified: Date;
  storageClass: string;
}

/** Up to `maxKeys` objects under `prefix` in key order after `startAfter`, and whether more follow. */
export async function listArchivePage(prefix: string, startAfter: string | undefined, maxKeys: number): Promise<{ objects: ListedObject[]; more: boolean }> {
  const page = await s3Client().send(
    new ListObjectsV2Command({ Bucket: config.archiveBucket(), Prefix: prefix, MaxKeys: maxKeys, ...(startAfter ? { StartAfter: startAfter } : {}) }),
  );
  return {
    objects: (page.Contents ?? []).map((o) => ({ key: o.Key!, lastModified: o.LastModified ?? new Date(0), storageClass: o.StorageClass ?? 'STANDARD' })),
    more: page.IsTruncated === true,
  };
}
