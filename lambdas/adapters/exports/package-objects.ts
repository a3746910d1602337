/**
 * The exports bucket (docs/exports.md): each instance's bytes copied from the archive into its
 * package, hashed as they pass (the SHA-256 at export is of the very bytes written), the
 * package's documents, and time-limited download URLs (S3 presigned GET).
 */
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { config } from '#lambdas/config.ts';
import { s3Client } from '#adapters/aws-clients.ts';
import { clock } from '#adapters/clock.ts';

export type CopyOutcome = { copied: true; sha256: string; size: number } | { copied: false; reason: 'archived' | 'missing' };

/**
 * Streams an archive object into the package: one GET, one upload (multipart past 5 MiB), the
 * hash computed on the way; memory stays at the upload's parts, whatever the instance's size.
 * An archived object without a readable restored copy is `archived`, a vanished one `missing`.
 */
export async function copyIntoPackage(archiveKey: string, packageKey: string): Promise<CopyOutcome> {
  let body: Readable;
  try {
    const object = await s3Client().send(new GetObjectCommand({ Bucket: config.archiveBucket(), Key: archiveKey }));
    body = object.Body as Readable;
  } catch (error) {
    if (error instanceof S3ServiceException && error.name === 'InvalidObjectState') return { copied: false, reason: 'archived' };
    if (error instanceof S3ServiceException && error.name === 'NoSuchKey') return { copied: false, reason: 'missing' };
    throw error;
  }
  const hash = createHash('sha256');
  let size = 0;
  const tee = new PassThrough();
  body.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    size += chunk.length;
  });
  body.on('error', (error) => tee.destroy(error));
  body.pipe(tee);
  await new Upload({
    client: s3Client(),
    params: { Bucket: config.exportsBucket(), Key: packageKey, Body: tee, ContentType: 'application/dicom' },
  }).done();
  return { copied: true, sha256: hash.digest('hex'), size };
}

/** A package document (manifest, summary, signature, public key). */
export async function putPackageDocument(key: string, body: string | Uint8Array, contentType: string): Promise<void> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  await s3Client().send(
    new PutObjectCommand({
      Bucket: config.exportsBucket(),
      Key: key,
      Body: bytes,
      ContentType: contentType,
      ChecksumSHA256: createHash('sha256').update(bytes).digest('base64'),
    }),
  );
}

/**
 * A URL that GETs one package object for `seconds` without other credentials. In Lambda it is
 * signed with the function's session credentials, so it stops working when they expire if that
 * is sooner (at most the session's remaining life; ask again for a fresh one). Signed on the
 * archive's clock, so its life is the one `expiresAt` reports (locally, the simulated clock's).
 */
export async function downloadUrl(key: string, seconds: number): Promise<string> {
  return getSignedUrl(s3Client(), new GetObjectCommand({ Bucket: config.exportsBucket(), Key: key }), { expiresIn: seconds, signingDate: clock.now() });
}
