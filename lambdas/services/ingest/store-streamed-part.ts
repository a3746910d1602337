/**
 * One large part of a STOW-RS request, stored as it streams: its header is read from the first
 * bytes (up to Pixel Data), the whole part is hashed (SHA-256) and checked (pixel-data-scanner)
 * while it uploads to a staging key, and only once it is whole, checked and admitted is it
 * copied to its instance key. A part that is refused, cut off or fails leaves nothing behind:
 * the multipart upload is aborted, the staging object deleted.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { readInstanceHead, withPixelData, type ParsedInstance } from '#core/dicom/read-instance.ts';
import { PixelDataScanner } from '#core/dicom/pixel-data-scanner.ts';
import type { FailedOutcome } from '#core/dicomweb/store-response.ts';
import { FailureReason } from '#core/dicomweb/status-codes.ts';
import { stagingObjectKey } from '#core/index-keys.ts';
import { copyStagedObject, deleteStagedObject } from '#adapters/object-store.ts';
import { uploadStagedObject } from '#adapters/ingest/staging-upload.ts';
import { instanceRefusal, parseRefusal, storageFailure } from './check-instance.ts';
import { discardRest } from './spool-part.ts';
import type { StoreContext } from './store-context.ts';
import { writeInstance, type StoredInstance } from './write-instance.ts';

/** Decides, once the hash is known, whether a whole and valid instance is stored: a refusal, 'duplicate' (same bytes earlier in the request), or undefined (store it). */
export type Admission = (parsed: ParsedInstance, sha256: string) => FailedOutcome | 'duplicate' | undefined;

/** The request's body failed while a part was streaming (cut off): nothing of the part is kept, and the request ends. */
export class SourceInterrupted extends Error {}

export async function storeStreamedPart(prefix: Buffer, rest: AsyncIterator<Buffer>, context: StoreContext, admit: Admission): Promise<StoredInstance | FailedOutcome | 'duplicate'> {
  let head: ReturnType<typeof readInstanceHead>;
  try {
    head = readInstanceHead(prefix);
  } catch (error) {
    await discardRest(rest);
    return parseRefusal(error);
  }
  const { instance, pixelStart } = head;
  const refusal =
    instanceRefusal(instance, context) ??
    (pixelStart
      ? undefined
      : {
          sopClassUID: instance.sopClassUID,
          sopInstanceUID: instance.sopInstanceUID,
          failureReason: FailureReason.CannotUnderstand,
          detail: `an object larger than ${prefix.length} bytes must have Pixel Data, which it does not`,
        });
  if (refusal) {
    await discardRest(rest);
    return refusal;
  }

  const stagingKey = stagingObjectKey(context.tenant, randomUUID());
  const hash = createHash('sha256');
  const scanner = new PixelDataScanner(pixelStart!);
  let size = 0;
  let sourceError: unknown;
  async function* bytes(): AsyncGenerator<Buffer> {
    let chunk: Buffer | undefined = prefix;
    while (chunk) {
      hash.update(chunk);
      scanner.update(chunk, size);
      size += chunk.length;
      yield chunk;
      try {
        const next = await rest.next();
        chunk = next.done ? undefined : next.value;
      } catch (error) {
        sourceError = error;
        throw error;
      }
    }
  }
  try {
    await uploadStagedObject(stagingKey, Readable.from(bytes()));
  } catch (error) {
    // lib-storage has aborted a multipart upload; a single-request upload may have landed.
    await deleteStagedObject(stagingKey).catch(() => {});
    if (sourceError !== undefined) throw new SourceInterrupted('the request body ended before the part did', { cause: sourceError });
    await discardRest(rest);
    return storageFailure(instance, error);
  }

  const sha256 = hash.digest('hex');
  let parsed: ParsedInstance;
  let offsetTable: Buffer | undefined;
  try {
    const scanned = scanner.finish(size);
    parsed = withPixelData(instance, scanned.pixelData, scanned.tagsAfterPixelData);
    offsetTable = scanned.offsetTable;
  } catch (error) {
    await deleteStagedObject(stagingKey);
    return parseRefusal(error);
  }
  const admission = admit(parsed, sha256);
  if (admission) {
    await deleteStagedObject(stagingKey);
    return admission;
  }
  const outcome = await writeInstance(parsed, { sha256, size, offsetTable }, (key, metadata, tags) => copyStagedObject(stagingKey, key, metadata, tags, { size }), context);
  // Bytes found already stored may have to be written again once indexed (write-instance.ts): from the staging object.
  if ('record' in outcome && outcome.ensureStored) return { ...outcome, release: () => deleteStagedObject(stagingKey) };
  await deleteStagedObject(stagingKey);
  return outcome;
}
