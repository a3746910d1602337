/**
 * Indexes an instance uploaded straight to S3 (the presigned path, docs/ingest.md). Its header is
 * parsed from ranged GETs — the first 64 KiB, doubling until the attributes before Pixel Data are
 * in hand (at most SPOOL_BYTES, as for a streamed STOW part) — and checked with the same rules as
 * STOW (`instanceRefusal`), so a file that is not an instance is refused having read its header
 * only. An admissible object is then read once, streamed in ranges, for the SHA-256 of the bytes
 * S3 actually holds (./hash-staged-object.ts): the uploader's declared hash is checked against
 * it, never trusted, since the hash names the content-addressed key and a key that exists is taken
 * as the same bytes — trusting it would report another file "stored" and drop its bytes. A
 * mismatch is refused before anything is written. Then the object is copied server-side into the
 * archive layout (in parts over 5 GB) and indexed with the same transactions, version and
 * duplicate rules and response as STOW (`indexWrittenInstances`).
 *
 * The staging object is left in place: its owner (services/uploads) deletes it once the result
 * is recorded, so a crash before that finds it again and redoes the same idempotent work. The
 * staging key is written only through the file's one multipart upload, complete when the event
 * fires, so the bytes hashed are the bytes copied.
 * Native Pixel Data must lie within the object (its declared length checked against the
 * object's size); encapsulated Pixel Data is stored without recorded frame positions.
 */
import { readInstanceHead, withPixelData, type ParsedInstance } from '#core/dicom/read-instance.ts';
import { DicomParseError } from '#core/errors.ts';
import { FailureReason } from '#core/dicomweb/status-codes.ts';
import type { FailedOutcome } from '#core/dicomweb/store-response.ts';
import { copyStagedObject, headInstanceObject, readInstanceBytes, type CopyOptions } from '#adapters/object-store.ts';
import { hashStagedObject, type HashOptions, type RangedReads } from './hash-staged-object.ts';
import { instanceRefusal, parseRefusal } from './check-instance.ts';
import type { StoreContext } from './store-context.ts';
import { writeInstance } from './write-instance.ts';
import { indexWrittenInstances, SPOOL_BYTES, type StoreInstancesResult } from '#services/store-instances.ts';

const FIRST_READ = 64 * 1024;

export type { RangedReads } from './hash-staged-object.ts';

/** What indexing read: the header parsed (well under 1 MB of a 2 GB instance) and the whole object hashed once. */
export interface IndexReads {
  header: RangedReads;
  hash: RangedReads;
}

export const noReads = (): IndexReads => ({ header: { requests: 0, bytes: 0 }, hash: { requests: 0, bytes: 0 } });

export interface IndexOptions {
  copy?: Pick<CopyOptions, 'singleCopyLimit' | 'partBytes'>;
  hash?: HashOptions;
}

export interface UploadedObject {
  /** Where the upload landed (its staging key). */
  key: string;
  /** The uploader's SHA-256 (hex) of the whole object: checked against the bytes' own, which name the key. */
  sha256?: string | undefined;
  /** The uploader's declared size: an object of another size is refused (a truncated or wrong upload). */
  size?: number | undefined;
}

/** The result STOW-RS would give for the object; `undefined` when the object is not there (already moved, or expired). */
export async function indexUploadedObject(
  upload: UploadedObject,
  context: StoreContext,
  reads: IndexReads = noReads(),
  options: IndexOptions = {},
): Promise<StoreInstancesResult | undefined> {
  const outcome = await admit(upload, context, reads, options);
  return outcome && indexWrittenInstances([outcome], context);
}

async function admit(upload: UploadedObject, context: StoreContext, reads: IndexReads, options: IndexOptions) {
  const head = await headInstanceObject(upload.key);
  if (!head) return undefined;
  if (upload.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(upload.sha256)) return refusal(undefined, FailureReason.CannotUnderstand, 'the declared SHA-256 is not 64 hex digits');
  if (upload.size !== undefined && head.size !== upload.size) {
    return refusal(undefined, FailureReason.CannotUnderstand, `the uploaded object has ${head.size} bytes, not the ${upload.size} declared: the upload is truncated or is another file`);
  }
  const size = head.size;

  let parsed: ParsedInstance | undefined;
  let pixelStart: ReturnType<typeof readInstanceHead>['pixelStart'];
  for (let length = Math.min(FIRST_READ, size); ; length = Math.min(length * 2, size, SPOOL_BYTES)) {
    const prefix = await readInstanceBytes(upload.key, { start: 0, end: length - 1 });
    reads.header.requests++;
    reads.header.bytes += prefix.length;
    try {
      ({ instance: parsed, pixelStart } = readInstanceHead(prefix));
      break;
    } catch (error) {
      const truncated = error instanceof DicomParseError && /more than the first|truncated/.test(error.message);
      if (!truncated || length >= Math.min(size, SPOOL_BYTES)) return parseRefusal(error);
    }
  }
  const refused = instanceRefusal(parsed, context);
  if (refused) return refused;
  if (!pixelStart) return refusal(parsed, FailureReason.CannotUnderstand, 'an uploaded instance must have Pixel Data (send small objects through STOW-RS)');
  if (pixelStart.length !== undefined && pixelStart.offset + pixelStart.length > size) {
    return refusal(parsed, FailureReason.CannotUnderstand, `the Pixel Data needs ${pixelStart.length} bytes from byte ${pixelStart.offset}, but the object ends at ${size}: the upload is truncated`);
  }
  const located = withPixelData(
    parsed,
    pixelStart.length === undefined ? { offset: pixelStart.offset, length: size - pixelStart.offset, encapsulated: true } : { offset: pixelStart.offset, length: pixelStart.length, encapsulated: false },
  );
  const hashed = await hashStagedObject(upload.key, size, reads.hash, options.hash);
  if ('outOfTime' in hashed) {
    return refusal(parsed, FailureReason.ProcessingFailure, `the object's SHA-256 could not be established within one indexing run (${hashed.outOfTime.hashedBytes} of ${size} bytes read): nothing was stored; upload it again in smaller objects or through STOW-RS`);
  }
  if (upload.sha256 !== undefined && hashed.sha256 !== upload.sha256) {
    return refusal(parsed, FailureReason.CannotUnderstand, `the uploaded bytes have SHA-256 ${hashed.sha256}, not the ${upload.sha256} declared: the upload is corrupted or is another file; nothing was stored`);
  }
  const sha256 = hashed.sha256;
  return writeInstance(located, { sha256, size, offsetTable: undefined }, (key, metadata, tags) => copyStagedObject(upload.key, key, metadata, tags, { size, ...options.copy }), context);
}

function refusal(parsed: ParsedInstance | undefined, failureReason: number, detail: string): FailedOutcome {
  return { sopClassUID: parsed?.sopClassUID ?? '', sopInstanceUID: parsed?.sopInstanceUID ?? '', failureReason, detail };
}
