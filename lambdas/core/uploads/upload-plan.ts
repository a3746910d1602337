/**
 * A presigned upload's plan (docs/ingest.md, "Presigned uploads"): which files, and how each is
 * cut into S3 multipart parts. S3 allows 10,000 parts of 5 MiB to 5 GiB (the last may be
 * smaller) and objects up to 5 TiB; the part size grows with the file so the largest fits.
 */
import { BadRequestError, PayloadTooLargeError } from '#core/errors.ts';

const MiB = 1024 * 1024;
/** S3's limits for one object uploaded in parts. */
export const MAX_PARTS = 10_000;
export const MIN_PART_BYTES = 5 * MiB;
export const MAX_OBJECT_BYTES = 5 * 1024 * 1024 * MiB;
/** Parts of 8 MiB until a file needs larger ones to fit in 10,000 (over ~78 GiB). */
export const DEFAULT_PART_BYTES = 8 * MiB;
/** Files per upload, as for one STOW-RS request (each file costs a multipart upload and two index writes). */
export const MAX_FILES_PER_UPLOAD = 1000;
/**
 * Presigned part URLs in one answer: enough for an 8 GiB file in 8 MiB parts; the rest on request. A URL signed
 * with a role's session credentials is about 1.5 KB, so an answer stays near 1.5 MB, far below Lambda's 6 MB.
 */
export const MAX_PART_URLS_PER_ANSWER = 1000;

export interface PlannedFile {
  /** 1-based, in request order. */
  file: number;
  name?: string | undefined;
  size: number;
  /** Lowercase hex, when the client declared it. */
  sha256?: string | undefined;
  partSize: number;
  parts: number;
}

/** The part size for a file: whole MiB, at least 8 MiB, so that no file up to 5 TiB needs more than 10,000 parts. */
export function partSizeFor(size: number): number {
  return Math.max(DEFAULT_PART_BYTES, Math.ceil(size / MAX_PARTS / MiB) * MiB);
}

export const partCountOf = (size: number, partSize: number) => Math.max(1, Math.ceil(size / partSize));

/** `{files:[{name?, size, sha256?}]}` checked, each file planned; 400 or 413 saying what is wrong. */
export function planUpload(body: unknown): PlannedFile[] {
  const files = (body as { files?: unknown } | null)?.files;
  if (!Array.isArray(files) || files.length === 0) throw new BadRequestError('the body must be {"files":[{"size":<bytes>,"sha256":"<hex>","name":"…"}, …]} with at least one file');
  if (files.length > MAX_FILES_PER_UPLOAD) throw new PayloadTooLargeError(`an upload may carry at most ${MAX_FILES_PER_UPLOAD} files (this one has ${files.length}); create several uploads`);
  return files.map((entry: unknown, index) => {
    const where = `files[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw new BadRequestError(`${where} must be an object`);
    const { name, size, sha256 } = entry as Record<string, unknown>;
    if (!Number.isSafeInteger(size) || (size as number) < 1) throw new BadRequestError(`${where}.size must be the file's size in bytes (a whole number, at least 1)`);
    if ((size as number) > MAX_OBJECT_BYTES) throw new PayloadTooLargeError(`${where} is ${size} bytes; S3 stores objects up to ${MAX_OBJECT_BYTES} bytes (5 TiB)`);
    if (sha256 !== undefined && (typeof sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha256))) throw new BadRequestError(`${where}.sha256 must be 64 hex digits (the SHA-256 of the whole file)`);
    if (name !== undefined && (typeof name !== 'string' || name.length > 1024)) throw new BadRequestError(`${where}.name must be a string of at most 1,024 characters`);
    const partSize = partSizeFor(size as number);
    return { file: index + 1, name, size: size as number, sha256: sha256?.toLowerCase(), partSize, parts: partCountOf(size as number, partSize) };
  });
}

/** How many part URLs each file gets in the answer that creates the upload (at least one each). */
export function partUrlsPerFile(files: readonly PlannedFile[]): number {
  return Math.max(1, Math.floor(MAX_PART_URLS_PER_ANSWER / files.length));
}

/** The parts a request for more URLs names (`?first=&count=`), within the file's parts. */
export function partRange(parts: number, first: number, count: number): { first: number; last: number } {
  if (!Number.isSafeInteger(first) || first < 1 || first > parts) throw new BadRequestError(`first must be a part number from 1 to ${parts}`);
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_PART_URLS_PER_ANSWER) throw new BadRequestError(`count must be from 1 to ${MAX_PART_URLS_PER_ANSWER}`);
  return { first, last: Math.min(parts, first + count - 1) };
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

/** `{parts:[{partNumber, etag}]}`: every part of the file, each once, ascending (as CompleteMultipartUpload needs). */
export function completedParts(body: unknown, parts: number): CompletedPart[] {
  const list = (body as { parts?: unknown } | null)?.parts;
  if (!Array.isArray(list)) throw new BadRequestError('the body must be {"parts":[{"partNumber":1,"etag":"\\"…\\""}, …]}: the ETag S3 answered for each part');
  const completed = list.map((entry: unknown, index) => {
    const { partNumber, etag } = (entry ?? {}) as Record<string, unknown>;
    if (!Number.isSafeInteger(partNumber) || typeof etag !== 'string' || !etag) throw new BadRequestError(`parts[${index}] must have a partNumber and the etag S3 answered for it`);
    return { partNumber: partNumber as number, etag };
  });
  completed.sort((a, b) => a.partNumber - b.partNumber);
  const expected = completed.map((_, index) => index + 1);
  if (completed.length !== parts || completed.some((part, index) => part.partNumber !== expected[index])) {
    throw new BadRequestError(`this file has ${parts} part(s): list each of 1..${parts} once, with its ETag`);
  }
  return completed;
}

/**
 * Abandoned uploads (the archive bucket's lifecycle rule on the uploads prefix, infra/system.ts):
 * S3 aborts a multipart upload not completed within a day — so the upload expires then — and
 * deletes an uploaded object still staged after a week (its event never indexed it).
 */
export const ABANDONED_UPLOAD = { abortIncompleteAfterDays: 1, expireStagedAfterDays: 7 } as const;
