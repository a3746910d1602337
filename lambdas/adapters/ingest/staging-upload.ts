/**
 * A streamed instance's bytes into the archive bucket at its staging key, as a multipart upload
 * (@aws-sdk/lib-storage): parts of PART_BYTES, at most QUEUE_SIZE in flight, so memory stays at
 * about PART_BYTES × QUEUE_SIZE whatever the object's size. When the source fails (a request
 * cut off mid-stream) the upload is aborted: S3 keeps no parts.
 */
import type { Readable } from 'node:stream';
import { Upload } from '@aws-sdk/lib-storage';
import { config } from '#lambdas/config.ts';
import { STAGED_PART_TAG } from '#core/index-keys.ts';
import { s3Client } from '#adapters/aws-clients.ts';

export const PART_BYTES = 8 * 1024 * 1024;
export const QUEUE_SIZE = 4;

export async function uploadStagedObject(stagingKey: string, body: Readable): Promise<void> {
  const upload = new Upload({
    client: s3Client(),
    // Tagged so a crash that leaves it behind does not leave it for good (STAGED_PART_TAG).
    params: { Bucket: config.archiveBucket(), Key: stagingKey, Body: body, ContentType: 'application/dicom', Tagging: `${STAGED_PART_TAG.key}=${STAGED_PART_TAG.value}` },
    partSize: PART_BYTES,
    queueSize: QUEUE_SIZE,
    leavePartsOnError: false,
  });
  await upload.done();
}
