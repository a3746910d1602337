/**
 * Indexes an instance uploaded straight to S3 (the presigned path, docs/ingest.md): the object
 * is never read whole. Its header is read with ranged GETs — the first 64 KiB, doubling until
 * the attributes before Pixel Data are in hand (at most SPOOL_BYTES, as for a streamed STOW
 * part) — checked with the same rules as STOW (`instanceRefusal`), copied server-side into the
 * archive layout (the content-addressed key; in parts over 5 GB) and indexed with the same
 * transactions, version and duplicate rules and response as STOW (`indexWrittenInstances`).
 *
 * The staging object is left in place: its owner (services/uploads) deletes it once the result
 * is recorded, so a crash before that finds it again and redoes the same idempotent work.
 *
 * The SHA-256 is the uploader's declaration (an object uploaded in parts has no whole-object
 * SHA-256 in S3); it names the key, and the fixity audit re-hashes the bytes against it. Without
 * one the object is hashed here, streamed (the one case that reads it whole).
 * Native Pixel Data must lie within the object (its declared length checked against the
 * object's size); encapsulated Pixel Data is stored without recorded frame positions.
 */
import { readInstanceHead, withPixelData, type ParsedInstance } from '#core/dicom/read-instance.ts';
import { DicomParseError } from '#core/errors.ts';
import { FailureReason } from '#core/dicomweb/status-codes.ts';
import type { FailedOutcome } from '#core/dicomweb/store-response.ts';
import { createHash } from 'node:crypto';
import { copyStagedObject, headInstanceObject, readInstanceBytes, readInstanceObject, type CopyOptions } from '#adapters/object-store.ts';
import { instanceRefusal, parseRefusal } from './check-instance.ts';
import type { StoreContext } from './store-context.ts';
import { writeInstance } from './write-instance.ts';
import { indexWrittenInstances, SPOOL_BYTES, type StoreInstancesResult } from '#services/store-instances.ts';

const FIRST_READ = 64 * 1024;

/** What the ranged reads cost: requests and bytes (the header of a 2 GB instance is well under 1 MB). */
export interface RangedReads {
  requests: number;
  bytes: number;
}

export interface UploadedObject {
  /** Where the upload landed (its staging key). */
  key: string;
  /** The uploader's SHA-256 (hex) of the whole object; hashed here (streamed) when absent. */
  sha256?: string | undefined;
  /** The uploader's declared size: an object of another size is refused (a truncated or wrong upload). */
  size?: number | undefined;
}

/** The result STOW-RS would give for the object; `undefined` when the object is not there (already moved, or expired). */
export async function indexUploadedObject(
  upload: UploadedObject,
  context: StoreContext,
  reads: RangedReads = { requests: 0, bytes: 0 },
  copy: Pick<CopyOptions, 'singleCopyLimit' | 'partBytes'> = {},
): Promise<StoreInstancesResult | undefined> {
  const outcome = await admit(upload, context, reads, copy);
  return outcome && indexWrittenInstances([outcome], context);
}

async function admit(upload: UploadedObject, context: StoreContext, reads: RangedReads, copy: Pick<CopyOptions, 'singleCopyLimit' | 'partBytes'>) {
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
    reads.requests++;
    reads.bytes += prefix.length;
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
  const sha256 = upload.sha256 ?? (await sha256OfObject(upload.key));
  return writeInstance(located, { sha256, size, offsetTable: undefined }, (key, metadata, tags) => copyStagedObject(upload.key, key, metadata, tags, { size, ...copy }), context);
}

/** The object's SHA-256, its bytes streamed through the hash (never held). */
async function sha256OfObject(key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of (await readInstanceObject(key)).body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function refusal(parsed: ParsedInstance | undefined, failureReason: number, detail: string): FailedOutcome {
  return { sopClassUID: parsed?.sopClassUID ?? '', sopInstanceUID: parsed?.sopInstanceUID ?? '', failureReason, detail };
}
