/**
 * WADO-RS retrieval of studies, series and instances (PS3.18 10.4) as a streamed
 * multipart/related body: one S3 object at a time flows through, so memory stays bounded by
 * a chunk, not a study. What can be refused (not found, cold tier, unacceptable transfer
 * syntax) is refused before the first byte is sent.
 */
import { Readable } from 'node:stream';
import { GoneError, NotAcceptableError, NotFoundError, NotYetAvailableError } from '#core/errors.ts';
import { closeDelimiter, newBoundary, partHeader, partSeparator } from '#core/dicomweb/multipart.ts';
import type { InstanceIdentity, ResourceScope } from '#core/index-keys.ts';
import { resourceUrl } from '#core/dicomweb/resource-url.ts';
import { TransferSyntax } from '#core/dicom/tags.ts';
import { canConvertToExplicitLittleEndian, NATIVE_SYNTAXES, toExplicitLittleEndian } from '#core/dicom/transcode.ts';
import { isDecodable } from '#core/dicom/frames.ts';
import { imagePixelAttributes } from '#core/dicom/pixel-format.ts';
import { getInstanceRecord, listInstanceRecords, type InstanceRecord } from '#adapters/index-store.ts';
import { wasDeleted } from '#adapters/deletion/deletion-store.ts';
import { readInstanceObject } from '#adapters/object-store.ts';
import { clock } from '#adapters/clock.ts';
import { unreadable } from './restores/start-restore.ts';

const LOOKAHEAD = 4;

export async function findInstances(scope: ResourceScope): Promise<InstanceRecord[]> {
  const records =
    scope.sop && scope.series
      ? [await getInstanceRecord(scope as InstanceIdentity)].filter((r): r is InstanceRecord => r !== undefined)
      : await listInstanceRecords(scope.tenant, scope.study, scope.series);
  if (records.length === 0) {
    // 410 for what was deleted (a tombstone remains), 404 for what never existed (PS3.18 Table 10.4.3-1).
    if (await wasDeleted(scope)) throw new GoneError('this resource was deleted');
    throw new NotFoundError(scope.sop ? 'no such instance' : scope.series ? 'no such series' : 'no such study');
  }
  return records.sort((a, b) => instanceOrder(a) - instanceOrder(b) || a.id.sop.localeCompare(b.id.sop));
}

/**
 * 503 + Retry-After when any of `records` sits in an archive tier without a restored copy (its
 * bytes need a restore first). The retrieve exchange starts that restore before this runs
 * (services/restores/cold-read.ts); this is the last guard before bytes are read.
 */
export function assertNotCold(records: InstanceRecord[]): void {
  const cold = unreadable(records, clock.now());
  if (cold.length) {
    throw new NotYetAvailableError(`${cold.length} instance(s) are in an archive tier and must be restored first`, { headers: { 'Retry-After': '14400' } });
  }
}

const instanceOrder = (record: InstanceRecord) => Number(record.instance['00200013']?.Value?.[0] ?? Number.MAX_SAFE_INTEGER);

/**
 * Converting holds the whole stored instance and its converted copy in memory (and the decoded
 * pixels, for a compressed one): above this stored size only the stored transfer syntax is
 * served (`transfer-syntax=*`), so one request cannot exhaust a data plane task's memory. Sent as
 * stored, an instance of any size streams.
 */
export const MAX_CONVERTED_INSTANCE_BYTES = 64 * 1024 * 1024;

/**
 * Whether an instance can be sent in `transferSyntax`: as stored, or converted to Explicit VR
 * Little Endian — within the conversion budget and decoded within the decoding budget, judged
 * from the indexed attributes before the first byte is sent (the conversion re-checks the bytes).
 */
export function servable(record: Pick<InstanceRecord, 'transferSyntaxUID' | 'size' | 'instance'>, transferSyntax: string): boolean {
  if (transferSyntax === '*' || record.transferSyntaxUID === transferSyntax) return true;
  if (transferSyntax !== TransferSyntax.ExplicitVRLittleEndian || !canConvertToExplicitLittleEndian(record.transferSyntaxUID)) return false;
  if (record.size > MAX_CONVERTED_INSTANCE_BYTES) return false;
  if (NATIVE_SYNTAXES.has(record.transferSyntaxUID)) return true;
  const format = imagePixelAttributes(record.instance);
  return isDecodable(format, format.frames);
}

/**
 * The multipart body of `records`, one S3 object at a time. The first object is opened before
 * this resolves, so what fails before the first byte (storage throttling or unreachable, a
 * missing object) is still an HTTP status: 503 with Retry-After, or 404. A later failure can
 * only cut the response short: the body ends without its close delimiter, which clients detect.
 */
export async function instancesStream(records: InstanceRecord[], transferSyntax: string, serviceUrl: string): Promise<{ boundary: string; body: Readable }> {
  const unservable = records.filter((r) => !servable(r, transferSyntax));
  if (unservable.length) {
    throw new NotAcceptableError(
      `${unservable.length} instance(s) are stored as ${[...new Set(unservable.map((r) => r.transferSyntaxUID))].join(', ')} and cannot be sent as ${transferSyntax}; ` +
        `request transfer-syntax=* to receive them as stored (instances over ${MAX_CONVERTED_INSTANCE_BYTES / 1024 / 1024} MiB are only sent as stored)`,
    );
  }
  assertNotCold(records);
  const boundary = newBoundary();
  const reads = readAhead(records.map((record) => record.objectKey));
  try {
    await reads.first;
  } catch (error) {
    reads.release();
    throw error;
  }
  async function* parts() {
    for (const record of records) {
      const location = resourceUrl(serviceUrl, record.id);
      const object = await reads.next();
      if (transferSyntax === '*' || record.transferSyntaxUID === transferSyntax) {
        yield partHeader(boundary, {
          'Content-Type': `application/dicom; transfer-syntax=${record.transferSyntaxUID}`,
          'Content-Location': location,
          'Content-Length': String(record.size),
        });
        for await (const chunk of object.body) yield chunk as Buffer;
      } else {
        // Conversion needs the whole instance (one instance in memory, never the study).
        const chunks: Buffer[] = [];
        for await (const chunk of object.body) chunks.push(chunk as Buffer);
        const converted = await toExplicitLittleEndian(Buffer.concat(chunks));
        yield partHeader(boundary, {
          'Content-Type': `application/dicom; transfer-syntax=${transferSyntax}`,
          'Content-Location': location,
          'Content-Length': String(converted.length),
        });
        yield converted;
      }
      yield partSeparator;
    }
    yield closeDelimiter(boundary);
  }
  const body = Readable.from(parts(), { objectMode: false });
  // On 'close', not in the generator: a body destroyed before its first read never runs the generator.
  body.once('close', reads.release);
  return { boundary, body };
}

type ObjectRead = Awaited<ReturnType<typeof readInstanceObject>>;

/**
 * GETs that run a few objects ahead of the one being sent, so S3's first-byte latency overlaps
 * the streaming of the previous instance; memory stays bounded by the lookahead.
 */
function readAhead(keys: string[]): { first: Promise<ObjectRead>; next: () => Promise<ObjectRead>; release: () => void } {
  const ahead: Promise<ObjectRead>[] = [];
  let requested = 0;
  const fill = () => {
    while (ahead.length < LOOKAHEAD && requested < keys.length) {
      const read = readInstanceObject(keys[requested++]!);
      read.catch(() => {}); // surfaced when its turn comes
      ahead.push(read);
    }
  };
  fill();
  return {
    first: ahead[0] ?? Promise.reject(new NotFoundError('nothing to send')),
    next: () => {
      fill();
      return ahead.shift()!;
    },
    release: () => {
      for (const read of ahead.splice(0)) read.then((object) => object.body.destroy(), () => {});
    },
  };
}
