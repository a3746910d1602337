/**
 * The S3 side of a presigned upload: a multipart upload per file, presigned UploadPart URLs the
 * client PUTs its parts to (straight to S3, never through the API), and CompleteMultipartUpload
 * called here with the parts' ETags (S3 cannot presign a completion the client then shapes).
 */
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, S3ServiceException, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { BadRequestError } from '#core/errors.ts';
import type { CompletedPart } from '#core/uploads/upload-plan.ts';
import { config } from '#lambdas/config.ts';
import { s3Client, s3PresignClient } from '#adapters/aws-clients.ts';
import { clock } from '#adapters/clock.ts';

/** How long a part URL may be used; more are signed on request (GET …/files/{n}/parts). */
export const PART_URL_SECONDS = 3600;

export async function createMultipartUpload(key: string): Promise<string> {
  const { UploadId } = await s3Client().send(new CreateMultipartUploadCommand({ Bucket: config.archiveBucket(), Key: key, ContentType: 'application/dicom' }));
  if (!UploadId) throw new Error('S3 answered CreateMultipartUpload without an UploadId');
  return UploadId;
}

export function presignPart(key: string, uploadId: string, partNumber: number): Promise<string> {
  return getSignedUrl(s3PresignClient(), new UploadPartCommand({ Bucket: config.archiveBucket(), Key: key, UploadId: uploadId, PartNumber: partNumber }), { expiresIn: PART_URL_SECONDS, signingDate: clock.now() });
}

/** S3's answers that mean the client's part list is wrong (a 400 to the client, who can fix it). */
const CLIENT_ERRORS = new Set(['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall', 'MalformedXML']);

/** 'gone' when S3 no longer knows the upload (completed before, or aborted by the lifecycle rule). */
export async function completeMultipartUpload(key: string, uploadId: string, parts: readonly CompletedPart[]): Promise<'completed' | 'gone'> {
  try {
    await s3Client().send(
      new CompleteMultipartUploadCommand({
        Bucket: config.archiveBucket(),
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) },
      }),
    );
    return 'completed';
  } catch (error) {
    if (error instanceof S3ServiceException && error.name === 'NoSuchUpload') return 'gone';
    if (error instanceof S3ServiceException && CLIENT_ERRORS.has(error.name)) throw new BadRequestError(`S3 refused the parts: ${error.name} (${error.message})`, { cause: error });
    throw error;
  }
}
