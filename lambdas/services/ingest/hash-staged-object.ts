/**
 * The SHA-256 of an object's bytes as S3 holds them, for an upload whose bytes never passed
 * through the archive (the presigned path, docs/ingest.md). S3 cannot answer it: a multipart
 * object's SHA-256 checksum is COMPOSITE (a hash of the parts' hashes), and S3 keeps FULL_OBJECT
 * checksums only for the CRC families. So the object is read once, in ranged GETs of
 * `rangeBytes`, `concurrency` of them in flight, each hashed in order as soon as those before it
 * are: memory holds at most `concurrency` ranges (32 MiB by default), whatever the object's size.
 *
 * A range that fails (a dropped connection mid-body, a throttled GET) is read again, up to
 * RANGE_ATTEMPTS times; the hash only ever sees whole ranges, so a retry cannot feed it twice.
 * Hashing stops, answering how far it got, when the invocation has less than `reserveMs` left:
 * the caller refuses rather than store bytes it has not verified.
 */
import { createHash } from 'node:crypto';
import { readInstanceObject } from '#adapters/object-store.ts';
import { logger } from '#lambdas/observability/logger.ts';

/** What ranged reads cost: requests and bytes. */
export interface RangedReads {
  requests: number;
  bytes: number;
}

const MiB = 1024 * 1024;
const RANGE_ATTEMPTS = 3;

export interface HashOptions {
  rangeBytes?: number;
  concurrency?: number;
  /** Milliseconds the invocation has left (Lambda's context); none: no limit. */
  timeLeftMs?: () => number;
  /** Time kept back for the copy, the index writes and the report once the hash is known. */
  reserveMs?: number;
}

export type HashResult = { sha256: string } | { outOfTime: { hashedBytes: number } };

export async function hashStagedObject(key: string, size: number, reads: RangedReads, options: HashOptions = {}): Promise<HashResult> {
  const rangeBytes = options.rangeBytes ?? 8 * MiB;
  const concurrency = options.concurrency ?? 4;
  const reserveMs = options.reserveMs ?? 120_000;
  const timeLeft = options.timeLeftMs ?? (() => Number.POSITIVE_INFINITY);
  const hash = createHash('sha256');
  const count = Math.ceil(size / rangeBytes);
  // Ranges read ahead, in order; each is awaited and hashed before the next is started beyond the window.
  const inFlight: Promise<Buffer[]>[] = [];
  let started = 0;
  const startNext = () => {
    const start = started++ * rangeBytes;
    const range = { start, end: Math.min(size, start + rangeBytes) - 1 };
    const read = readRange(key, range, reads);
    read.catch(() => {}); // awaited in order below; a rejection before its turn is not unhandled
    inFlight.push(read);
  };
  for (let index = 0; index < count; index++) {
    if (timeLeft() < reserveMs) return { outOfTime: { hashedBytes: index * rangeBytes } };
    while (started < count && inFlight.length < concurrency) startNext();
    for (const chunk of await inFlight.shift()!) hash.update(chunk);
  }
  return { sha256: hash.digest('hex') };
}

/** One range as the chunks it arrived in (not concatenated: that would hold it twice). */
async function readRange(key: string, range: { start: number; end: number }, reads: RangedReads): Promise<Buffer[]> {
  for (let attempt = 1; ; attempt++) {
    reads.requests++;
    try {
      const chunks: Buffer[] = [];
      let length = 0;
      for await (const chunk of (await readInstanceObject(key, `bytes=${range.start}-${range.end}`)).body) {
        chunks.push(chunk as Buffer);
        length += (chunk as Buffer).length;
      }
      if (length !== range.end - range.start + 1) throw new Error(`a ranged read answered ${length} bytes of ${range.end - range.start + 1}`);
      reads.bytes += length;
      return chunks;
    } catch (error) {
      if (attempt >= RANGE_ATTEMPTS) throw error;
      logger.warn('ranged read for the upload hash failed; reading it again', { error: (error as Error).name, attempt, start: range.start });
    }
  }
}
