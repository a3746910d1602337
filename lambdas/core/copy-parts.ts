/**
 * Planning a server-side copy (docs/lifecycle.md, "Copy back"; docs/ingest.md): S3's CopyObject
 * copies at most 5 GB; a larger object is copied as a multipart upload whose parts are byte
 * ranges of the source (UploadPartCopy), each 5 MiB to 5 GiB (the last may be smaller), at most
 * 10,000 of them, so at most 5 TiB in all — S3's limits, refused here before any request. Pure.
 */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** S3's largest single CopyObject; larger objects are copied in parts. */
export const MAX_SINGLE_COPY_BYTES = 5 * GiB;
export const MIN_PART_BYTES = 5 * MiB;
export const MAX_PART_BYTES = 5 * GiB;
export const MAX_PARTS = 10_000;
export const MAX_OBJECT_BYTES = 5 * 1024 * GiB;

/** Whether an object of `size` bytes needs a multipart copy (`limit`: lowered only by tests of the multipart path). */
export const needsPartCopy = (size: number, limit = MAX_SINGLE_COPY_BYTES) => size > limit;

/** 1 GiB parts: few requests, each well inside a part's limits; S3's largest object (5 TiB) is 5,120 of them, within the 10,000. */
export const DEFAULT_PART_BYTES = GiB;

export interface CopyPart {
  partNumber: number;
  /** The source range, as UploadPartCopy's x-amz-copy-source-range takes it (inclusive). */
  range: string;
}

/** The parts of a copy of `size` bytes in parts of `partBytes`: consecutive, covering every byte once. */
export function copyParts(size: number, partBytes = DEFAULT_PART_BYTES): CopyPart[] {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`an object to copy has a size of at least 1 byte (${size} given)`);
  if (size > MAX_OBJECT_BYTES) throw new RangeError(`S3 objects are at most 5 TiB (${size} bytes given)`);
  if (!Number.isSafeInteger(partBytes) || partBytes > MAX_PART_BYTES) throw new RangeError(`a copied part is at most 5 GiB (${partBytes} bytes given)`);
  const count = Math.ceil(size / partBytes);
  if (count > 1 && partBytes < MIN_PART_BYTES) throw new RangeError(`a copied part other than the last is at least 5 MiB (${partBytes} bytes given)`);
  if (count > MAX_PARTS) throw new RangeError(`a multipart copy has at most 10,000 parts (${count} needed for ${size} bytes in parts of ${partBytes})`);
  return Array.from({ length: count }, (_, index) => {
    const start = index * partBytes;
    return { partNumber: index + 1, range: `bytes=${start}-${Math.min(size, start + partBytes) - 1}` };
  });
}
