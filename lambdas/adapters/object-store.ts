/**
 * The archive bucket: one immutable object per instance, keyed by its UIDs
 * (core/index-keys.ts). The object metadata carries what is needed to rebuild the index
 * entry from the bucket alone (tenant, UIDs, SHA-256, ingest time).
 */
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { NotFoundError, NotYetAvailableError, StorageUnavailableError } from '#core/errors.ts';
import { copyParts, MAX_SINGLE_COPY_BYTES } from '#core/copy-parts.ts';
import { config } from '#lambdas/config.ts';
import { s3Client } from './aws-clients.ts';

export interface ObjectMetadata {
  tenant: string;
  study: string;
  series: string;
  sop: string;
  sopClass: string;
  transferSyntax: string;
  sha256: string; // hex
  ingestedAt: string;
}

export interface StoredObject {
  size: number;
  storageClass: string;
  /** The object's creation (its PUT, or the copy that made it): S3's lifecycle counts days from it. */
  lastModified?: Date | undefined;
  metadata: Partial<ObjectMetadata>;
}

const META_PREFIX = 'strata-';

/**
 * Writes the bytes unless the key exists (S3 conditional write, If-None-Match: *), so two
 * different objects with the same UIDs can never overwrite each other. Returns 'exists'
 * when something is already stored there.
 */
export async function putInstanceObject(key: string, bytes: Uint8Array, metadata: ObjectMetadata, tags: Record<string, string> = {}): Promise<'created' | 'exists'> {
  try {
    const command = new PutObjectCommand({
      Bucket: config.archiveBucket(),
      Key: key,
      Body: bytes,
      IfNoneMatch: '*',
      ChecksumSHA256: Buffer.from(metadata.sha256, 'hex').toString('base64'),
      ...instanceObjectAttributes(metadata, tags),
    });
    signWithKnownPayloadHash(command, metadata.sha256);
    await s3Client().send(command);
    return 'created';
  } catch (error) {
    if (isPreconditionFailed(error)) return 'exists';
    throw error;
  }
}

/**
 * SigV4 signs the payload's SHA-256 (hex, `x-amz-content-sha256`), which the SDK otherwise
 * computes by reading every byte again; the instance's SHA-256 from ingest is that value, and S3
 * checks it against the bytes it receives as it checks ChecksumSHA256.
 */
function signWithKnownPayloadHash(command: PutObjectCommand, sha256Hex: string): void {
  command.middlewareStack.add(
    (next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] = sha256Hex;
      return next(args);
    },
    { step: 'build', name: 'knownPayloadHash' },
  );
}

/**
 * What every instance object carries, however its bytes arrived (one PutObject, or a streamed
 * upload copied into place): one definition, so both ways store the same object.
 */
function instanceObjectAttributes(metadata: ObjectMetadata, tags: Record<string, string>): { ContentType: string; Metadata: Record<string, string>; Tagging?: string } {
  return {
    ContentType: 'application/dicom',
    Metadata: Object.fromEntries(Object.entries(metadata).map(([name, value]) => [META_PREFIX + kebab(name), value])),
    // The lifecycle policy class: S3 lifecycle rules filter on it (x-amz-tagging, URL-encoded).
    ...(Object.keys(tags).length ? { Tagging: new URLSearchParams(tags).toString() } : {}),
  };
}

const isPreconditionFailed = (error: unknown) =>
  error instanceof S3ServiceException && (error.$metadata.httpStatusCode === 412 || error.name === 'PreconditionFailed');

export interface CopyOptions {
  /** The object's size: above `singleCopyLimit` it is copied in parts. */
  size?: number;
  singleCopyLimit?: number;
  /** Bytes per UploadPartCopy (S3: 5 MiB to 5 GiB, at most 10,000 parts). */
  partBytes?: number;
}

/** Parts copied at once: each is S3's work, not this process's memory. */
const COPY_CONCURRENCY = 8;

/**
 * Copies a staged object to its instance key server-side — the bytes never pass through this
 * process — unless the key exists (never overwritten: 'exists'); the staging object stays (its
 * owner deletes it once the copy is indexed). Objects over 5 GB are copied in parts.
 */
export async function copyStagedObject(stagingKey: string, key: string, metadata: ObjectMetadata, tags: Record<string, string> = {}, options: CopyOptions = {}): Promise<'created' | 'exists'> {
  const Bucket = config.archiveBucket();
  const CopySource = `${Bucket}/${stagingKey.split('/').map(encodeURIComponent).join('/')}`;
  try {
    if (await headInstanceObject(key)) return 'exists';
    if ((options.size ?? 0) > (options.singleCopyLimit ?? MAX_SINGLE_COPY_BYTES)) {
      await copyInParts(CopySource, key, options.size!, options.partBytes, instanceObjectAttributes(metadata, tags), { ifNoneMatch: true });
      return 'created';
    }
    await s3Client().send(
      new CopyObjectCommand({
        Bucket,
        Key: key,
        CopySource,
        MetadataDirective: 'REPLACE',
        IfNoneMatch: '*',
        // The copy carries the instance's own tags, not the staging object's.
        TaggingDirective: 'REPLACE',
        ...instanceObjectAttributes(metadata, tags),
      }),
    );
    return 'created';
  } catch (error) {
    if (isPreconditionFailed(error)) return 'exists';
    throw error;
  }
}

/** What a copy in parts gives the new object (a multipart upload copies none of the source's metadata, tags or class). */
export interface PartCopyAttributes {
  ContentType?: string;
  Metadata: Record<string, string>;
  Tagging?: string;
  StorageClass?: CreateMultipartUploadCommand['input']['StorageClass'];
}

/**
 * Copies `CopySource` (`size` bytes) to `key` server-side as a multipart upload of UploadPartCopy
 * ranges (core/copy-parts.ts); `ifNoneMatch`: never over an existing object. Aborted on failure.
 */
export async function copyInParts(CopySource: string, key: string, size: number, partBytes: number | undefined, attributes: PartCopyAttributes, options: { ifNoneMatch?: boolean } = {}): Promise<void> {
  const Bucket = config.archiveBucket();
  const plan = copyParts(size, partBytes);
  const { UploadId } = await s3Client().send(new CreateMultipartUploadCommand({ Bucket, Key: key, ...attributes }));
  try {
    const parts: { PartNumber: number; ETag: string }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < plan.length) {
        const { partNumber, range } = plan[next++]!;
        const { CopyPartResult } = await s3Client().send(new UploadPartCopyCommand({ Bucket, Key: key, UploadId, PartNumber: partNumber, CopySource, CopySourceRange: range }));
        parts[partNumber - 1] = { PartNumber: partNumber, ETag: CopyPartResult?.ETag ?? '' };
      }
    };
    await Promise.all(Array.from({ length: Math.min(COPY_CONCURRENCY, plan.length) }, worker));
    await s3Client().send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, ...(options.ifNoneMatch ? { IfNoneMatch: '*' } : {}), MultipartUpload: { Parts: parts } }));
  } catch (error) {
    await s3Client().send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId })).catch(() => {});
    throw error;
  }
}

/** Removes a staging object (a refused or superseded streamed instance); absent is fine. */
export async function deleteStagedObject(stagingKey: string): Promise<void> {
  await s3Client().send(new DeleteObjectCommand({ Bucket: config.archiveBucket(), Key: stagingKey }));
}

export async function headInstanceObject(key: string): Promise<StoredObject | undefined> {
  try {
    const head = await s3Client().send(new HeadObjectCommand({ Bucket: config.archiveBucket(), Key: key }));
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(head.Metadata ?? {})) {
      if (name.startsWith(META_PREFIX)) metadata[camel(name.slice(META_PREFIX.length))] = value;
    }
    return { size: head.ContentLength ?? 0, storageClass: head.StorageClass ?? 'STANDARD', lastModified: head.LastModified, metadata };
  } catch (error) {
    if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return undefined;
    throw error;
  }
}

/** The stored bytes as a stream; a cold object that is not restored is a 503 with Retry-After. */
export async function readInstanceObject(key: string, range?: string | undefined): Promise<{ body: Readable; size: number }> {
  try {
    const object = await s3Client().send(new GetObjectCommand({ Bucket: config.archiveBucket(), Key: key, ...(range ? { Range: range } : {}) }));
    return { body: object.Body as Readable, size: object.ContentLength ?? 0 };
  } catch (error) {
    if (error instanceof S3ServiceException && error.name === 'InvalidObjectState') {
      throw new NotYetAvailableError('the instance is in an archive storage tier and must be restored before it can be retrieved', {
        headers: { 'Retry-After': '14400' },
        cause: error,
      });
    }
    if (error instanceof S3ServiceException && error.name === 'NoSuchKey') throw new NotFoundError('the instance bytes are missing', { cause: error });
    throw storageUnavailable(error);
  }
}

/** Seconds a client should wait after storage throttled or failed (the SDK has already retried). */
const STORAGE_RETRY_AFTER_SECONDS = '5';
const TRANSPORT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * A failure of the storage service itself (5xx, throttling, a connection that failed or broke
 * mid-body) becomes 503 + Retry-After: the client can try again. Anything else is unchanged.
 */
function storageUnavailable(error: unknown): unknown {
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  const transient =
    (status !== undefined && (status >= 500 || status === 429)) ||
    name === 'SlowDown' || name === 'TimeoutError' ||
    (typeof code === 'string' && TRANSPORT_ERRORS.has(code));
  if (!transient) return error;
  return new StorageUnavailableError('the archive storage is unavailable or throttling; retry later', {
    headers: { 'Retry-After': STORAGE_RETRY_AFTER_SECONDS },
    cause: error,
  });
}

/**
 * A stored object in memory — whole, for work that needs one instance at once (conversion),
 * or bytes start..end inclusive with one ranged GET (a frame).
 */
export async function readInstanceBytes(key: string, range?: { start: number; end: number }): Promise<Buffer> {
  const { body } = await readInstanceObject(key, range ? `bytes=${range.start}-${range.end}` : undefined);
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of body) chunks.push(chunk as Buffer);
  } catch (error) {
    throw storageUnavailable(error);
  }
  return Buffer.concat(chunks);
}

/** Writes an instance version's metadata document (deterministic content: overwriting is harmless). */
export async function putMetadataObject(key: string, dataset: DicomJsonDataset): Promise<void> {
  await s3Client().send(
    new PutObjectCommand({ Bucket: config.archiveBucket(), Key: key, Body: JSON.stringify(dataset), ContentType: 'application/dicom+json' }),
  );
}

export async function readMetadataObject(key: string): Promise<DicomJsonDataset | undefined> {
  try {
    const object = await s3Client().send(new GetObjectCommand({ Bucket: config.archiveBucket(), Key: key }));
    return JSON.parse(await object.Body!.transformToString('utf8')) as DicomJsonDataset;
  } catch (error) {
    if (error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404)) return undefined;
    throw storageUnavailable(error);
  }
}

export async function pingArchive(): Promise<void> {
  await s3Client().send(new HeadBucketCommand({ Bucket: config.archiveBucket() }));
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Whether Object Lock protects an object now (legal hold, or retention until a later date).
 * Asked before a delete because in a versioned bucket S3 would accept the delete as a delete
 * marker and keep the locked version: the instance must stay visible instead.
 */
export async function isLocked(key: string, now: Date): Promise<boolean> {
  // No current version to protect: missing (404), or a delete marker — S3 documents 405 for a
  // marker addressed by version and 404 for a GET of one; the lock subresources are not
  // documented either way, so both count as "nothing current to lock" (a deletion repeated after
  // a crash meets the markers it left).
  const absent = (error: unknown) =>
    error instanceof S3ServiceException && ([404, 405].includes(error.$metadata.httpStatusCode ?? 0) || error.name === 'NoSuchObjectLockConfiguration');
  const Bucket = config.archiveBucket();
  const [hold, retention] = await Promise.all([
    s3Client().send(new GetObjectLegalHoldCommand({ Bucket, Key: key })).catch((error: unknown) => (absent(error) ? undefined : Promise.reject(error))),
    s3Client().send(new GetObjectRetentionCommand({ Bucket, Key: key })).catch((error: unknown) => (absent(error) ? undefined : Promise.reject(error))),
  ]);
  if (hold?.LegalHold?.Status === 'ON') return true;
  const until = retention?.Retention?.RetainUntilDate;
  return until !== undefined && new Date(until).getTime() > now.getTime();
}

/** Deletes one stored object; refused (AccessDenied) while Object Lock protects it. */
export async function deleteInstanceObject(key: string): Promise<void> {
  await s3Client().send(new DeleteObjectCommand({ Bucket: config.archiveBucket(), Key: key }));
}

/**
 * Deletes objects in order; `false` when S3 refuses one with 403 (Object Lock on a version
 * that appeared since it was checked, or no permission), leaving the rest for a later try.
 */
export async function deleteObjectsUnlessRefused(keys: string[]): Promise<boolean> {
  try {
    for (const key of keys) await deleteInstanceObject(key);
    return true;
  } catch (error) {
    if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 403) return false;
    throw error;
  }
}
