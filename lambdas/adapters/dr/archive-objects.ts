/**
 * What the archive bucket alone says about one stored instance version (docs/dr.md): its
 * Strata metadata (`x-amz-meta-strata-*`, written at ingest), size, storage class, restored
 * copy and Object Lock legal hold, from one HeadObject.
 */
import { HeadObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { restoredUntil } from '#core/dr/restore-header.ts';
import { config } from '#lambdas/config.ts';
import { s3Client } from '#adapters/aws-clients.ts';
import type { ObjectMetadata } from '#adapters/object-store.ts';

export interface ArchivedObject {
  size: number;
  storageClass: string;
  metadata: Partial<ObjectMetadata>;
  /** Until when a restored copy of archived bytes is readable. */
  restoredUntil?: string | undefined;
  /** S3 Object Lock legal hold ON (HeadObject reports it to a caller allowed s3:GetObjectLegalHold). */
  legalHold: boolean;
}

const META_PREFIX = 'strata-';
const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export async function headArchivedObject(key: string, bucket: string = config.archiveBucket()): Promise<ArchivedObject | undefined> {
  try {
    const head = await s3Client().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(head.Metadata ?? {})) {
      if (name.startsWith(META_PREFIX)) metadata[camel(name.slice(META_PREFIX.length))] = value;
    }
    return {
      size: head.ContentLength ?? 0,
      storageClass: head.StorageClass ?? 'STANDARD',
      metadata,
      restoredUntil: restoredUntil(head.Restore),
      legalHold: head.ObjectLockLegalHoldStatus === 'ON',
    };
  } catch (error) {
    if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return undefined;
    throw error;
  }
}
