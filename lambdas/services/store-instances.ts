/**
 * STOW-RS (PS3.18 10.5): stores every part it can, independently, and says what happened to
 * each. Bytes go to S3 first with a conditional write, then the index is written in a
 * transaction; a retry after a crash between the two finds the bytes, checks their hash and
 * completes the index, so nothing is lost or doubled.
 *
 * Duplicates (docs/decisions/0002-instance-versions.md): the same SOP Instance UID with the
 * same bytes (SHA-256) is a plain success; with different bytes the new bytes become the
 * current version, the previous version is kept, and the push is reported with WarningReason
 * 0xB00E (45070, "instance already exists", the code Azure's DICOM service uses) and a
 * Warning header. Nothing is ever overwritten.
 */
import { createHash } from 'node:crypto';
import { readInstance, type ParsedInstance } from '#core/dicom/read-instance.ts';
import { offsetTableOf } from '#core/dicom/frames.ts';
import { FailureReason, WarningReason } from '#core/dicomweb/status-codes.ts';
import { storeResponse, type FailedOutcome, type StoredOutcome, type StoreResult } from '#core/dicomweb/store-response.ts';
import type { Part } from '#core/dicomweb/multipart.ts';
import type { StreamedPart } from '#core/dicomweb/multipart-stream.ts';
import { BadRequestError, PayloadTooLargeError } from '#core/errors.ts';
import { putInstanceObject } from '#adapters/object-store.ts';
import { storeInstanceRecords, type InstanceRecord } from '#adapters/index-store.ts';
import { logger } from '#lambdas/observability/logger.ts';
import { resourceUrl } from '#core/dicomweb/resource-url.ts';
import { subjectsOf } from '#core/audit/subjects.ts';
import type { AuditSubject } from '#core/audit/record.ts';
import { instanceRefusal, isThrottling, parseRefusal, partTypeRefusal } from './ingest/check-instance.ts';
import { discardRest, spoolPart } from './ingest/spool-part.ts';
import type { StoreContext } from './ingest/store-context.ts';
import { SourceInterrupted, storeStreamedPart } from './ingest/store-streamed-part.ts';
import { BytesHidden, writeInstance, type StoredInstance } from './ingest/write-instance.ts';
import { scheduleFirstChecks } from '#services/lifecycle/last-access-checks.ts';
import { withdrawEntries } from '#services/deletion/withdraw-entries.ts';
import { clock } from '#adapters/clock.ts';
import { mapConcurrently } from '#core/map-concurrently.ts';

export type { StoreContext } from './ingest/store-context.ts';

export interface StoreInstancesResult extends StoreResult {
  warnings: string[];
  /** The patients and studies of the instances read from the request, for the audit record. */
  subjects: AuditSubject[];
}

/** Whole parts being written at once, and the bytes they may hold between them. */
const CONCURRENCY = 8;
const MAX_BYTES_IN_FLIGHT = 64 * 1024 * 1024;
/** Found-stored instances looked at again at once after indexing (two HEADs each; see write-instance.ts). */
const LOOKS_IN_FLIGHT = 16;

/**
 * A part up to this size is held whole (one PutObject, as every part through Lambda); a larger
 * one streams to S3. Its header (everything before Pixel Data) must lie within this many bytes.
 */
export const SPOOL_BYTES = 32 * 1024 * 1024;

/**
 * Parts per request. Every part costs two S3 writes and an index write however small it is,
 * so a small request must not buy unbounded work; real instances are far larger than the
 * 4.4 MB a request carries through API Gateway divided by this.
 */
export const MAX_PARTS_PER_REQUEST = 1000;

/**
 * Stores the parts of one STOW-RS request: held in memory (the Lambda path, whose body is
 * already buffered) or streamed (the data plane). Both go through the same pipeline, one part
 * after another in request order: small parts whole, large parts streamed to S3. A body that
 * fails mid-stream (`SourceInterrupted`) keeps the instances that arrived whole — indexed, so
 * nothing is orphaned — and none of the part that was cut.
 */
export async function storeInstances(parts: Part[] | AsyncIterable<StreamedPart>, context: StoreContext): Promise<StoreInstancesResult> {
  if (Array.isArray(parts)) {
    if (parts.length === 0) throw new BadRequestError('the multipart body has no parts: nothing to store');
    if (parts.length > MAX_PARTS_PER_REQUEST) {
      throw new PayloadTooLargeError(`a STOW-RS request may carry at most ${MAX_PARTS_PER_REQUEST} instances (this one has ${parts.length}); send them in several requests`);
    }
  }
  const request = new StoreRequest(context);
  let interrupted: unknown;
  try {
    for await (const part of Array.isArray(parts) ? parts.map(asStreamed) : parts) await request.receive(part);
  } catch (error) {
    interrupted = error;
  }
  await request.settled();
  if (interrupted === undefined && request.parts === 0) throw new BadRequestError('the multipart body has no parts: nothing to store');
  const result = await request.index();
  if (interrupted !== undefined) throw interrupted;
  return result;
}

/**
 * Indexes instances whose bytes are already in place (uploaded to S3 and copied into the archive
 * layout: the presigned path) and answers as STOW-RS does, by the same rules.
 */
export async function indexWrittenInstances(outcomes: (StoredInstance | FailedOutcome)[], context: StoreContext): Promise<StoreInstancesResult> {
  const request = new StoreRequest(context);
  outcomes.forEach((outcome, index) => request.settle(outcome, index));
  return request.index();
}

const asStreamed = (part: Part): StreamedPart => ({ headers: part.headers, body: toAsync([part.body]) });

class StoreRequest {
  parts = 0;
  private readonly stored: StoredOutcome[] = [];
  private readonly failed: FailedOutcome[] = [];
  private readonly warnings: string[] = [];
  private readonly toIndex: InstanceRecord[] = [];
  private readonly parseWarnings = new Map<InstanceRecord, number>();
  /** Instances whose bytes were found already stored: looked at again once indexed (write-instance.ts). */
  private readonly foundStored = new Map<InstanceRecord, () => Promise<void>>();
  /** What those looks need, freed once the request is indexed (a streamed part's staging object). */
  private readonly releases: (() => Promise<void>)[] = [];
  /** The same bytes twice in one request are one instance: stored, indexed and reported once. */
  private readonly seen = new Set<string>();
  private readonly versions = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private bytesInFlight = 0;

  constructor(private readonly context: StoreContext) {}

  async receive(part: StreamedPart): Promise<void> {
    const index = this.parts++;
    const spooled = await spoolPart(part.body, this.context.spoolBytes ?? SPOOL_BYTES);
    const typeRefusal = partTypeRefusal(part.headers);
    if (index >= MAX_PARTS_PER_REQUEST || (typeRefusal && !spooled.whole)) {
      if (!spooled.whole) await discardRest(spooled.rest);
      this.settle(
        index >= MAX_PARTS_PER_REQUEST
          ? { sopClassUID: '', sopInstanceUID: '', failureReason: FailureReason.OutOfResources, detail: `more than ${MAX_PARTS_PER_REQUEST} instances in one request; send the others in later requests` }
          : typeRefusal!,
        index,
      );
      return;
    }
    if (!spooled.whole) {
      try {
        this.settle(await storeStreamedPart(spooled.prefix, spooled.rest, this.context, (parsed, sha256) => this.admit(parsed, sha256)), index);
      } catch (error) {
        if (error instanceof SourceInterrupted) throw error.cause;
        throw error;
      }
      return;
    }
    const bytes = spooled.bytes;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (this.seen.has(sha256)) return;
    const checked = typeRefusal ?? this.check(bytes);
    if ('failureReason' in checked) {
      this.seen.add(sha256);
      this.settle(checked, index);
      return;
    }
    const admission = this.admit(checked, sha256);
    if (admission) {
      if (admission !== 'duplicate') this.settle(admission, index);
      return;
    }
    await this.slotFor(bytes.length);
    const write = writeInstance(checked, { sha256, size: bytes.length, offsetTable: checked.structure.pixelData && offsetTableOf(bytes, checked.structure.pixelData) }, (key, metadata, tags) => putInstanceObject(key, bytes, metadata, tags), this.context)
      .then((outcome) => this.settle(outcome, index))
      .finally(() => {
        this.bytesInFlight -= bytes.length;
        this.inFlight.delete(write);
      });
    this.bytesInFlight += bytes.length;
    this.inFlight.add(write);
  }

  /** Parses and validates a whole part: the instance to store, or why not. Writes nothing. */
  private check(bytes: Buffer): ParsedInstance | FailedOutcome {
    let parsed: ParsedInstance;
    try {
      parsed = readInstance(bytes);
    } catch (error) {
      return parseRefusal(error);
    }
    return instanceRefusal(parsed, this.context) ?? parsed;
  }

  /** Once per distinct content: a duplicate is dropped; past MAX_VERSIONS_PER_REQUEST versions of one instance, refused. */
  private admit(parsed: ParsedInstance, sha256: string): FailedOutcome | 'duplicate' | undefined {
    if (this.seen.has(sha256)) return 'duplicate';
    this.seen.add(sha256);
    const key = `${parsed.studyInstanceUID}|${parsed.seriesInstanceUID}|${parsed.sopInstanceUID}`;
    const count = (this.versions.get(key) ?? 0) + 1;
    this.versions.set(key, count);
    if (count <= MAX_VERSIONS_PER_REQUEST) return undefined;
    return {
      sopClassUID: parsed.sopClassUID,
      sopInstanceUID: parsed.sopInstanceUID,
      failureReason: FailureReason.OutOfResources,
      detail: `more than ${MAX_VERSIONS_PER_REQUEST} versions of one instance in one request; send the others in later requests`,
    };
  }

  /** Waits until another whole part may be written (bounded count and bytes; one at least). */
  private async slotFor(size: number): Promise<void> {
    while (this.inFlight.size && (this.inFlight.size >= CONCURRENCY || this.bytesInFlight + size > MAX_BYTES_IN_FLIGHT)) await Promise.race(this.inFlight);
  }

  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.race(this.inFlight);
  }

  settle(outcome: StoredInstance | FailedOutcome | 'duplicate', index: number): void {
    if (outcome === 'duplicate') return;
    if ('failureReason' in outcome) {
      this.failed.push(outcome);
      if (outcome.detail) this.warnings.push(`part ${index + 1} refused: ${outcome.detail}`);
      return;
    }
    this.toIndex.push(outcome.record);
    if (outcome.ensureStored) this.foundStored.set(outcome.record, outcome.ensureStored);
    if (outcome.release) this.releases.push(outcome.release);
    if (outcome.warnings.length) {
      this.parseWarnings.set(outcome.record, outcome.warnings[0]!.reason);
      for (const warning of outcome.warnings) this.warnings.push(`instance ${outcome.record.id.sop}: ${warning.message}`);
    }
  }

  /**
   * Whether a found-stored instance's bytes are (made) current again; if not, it is reported
   * failed, and the answer says whether S3 showed them hidden (`BytesHidden`) or only failed.
   */
  private async stillStored(record: InstanceRecord): Promise<true | BytesHidden | 'failed'> {
    try {
      await this.foundStored.get(record)!();
      return true;
    } catch (error) {
      logger.error('indexed instance bytes could not be made current', { error: error as Error, sopClassUID: record.sopClassUID });
      const cause = error instanceof BytesHidden ? error.cause : error;
      this.failed.push({ sopClassUID: record.sopClassUID, sopInstanceUID: record.id.sop, failureReason: isThrottling(cause) ? FailureReason.OutOfResources : FailureReason.ProcessingFailure });
      return error instanceof BytesHidden ? error : 'failed';
    }
  }

  /** Indexes what was written (one transaction per instance version) and builds the response. */
  async index(): Promise<StoreInstancesResult> {
    try {
      return await this.indexAll();
    } finally {
      for (const release of this.releases) {
        await release().catch((error: unknown) => logger.error('staging object not deleted', { error: error as Error }));
      }
    }
  }

  private async indexAll(): Promise<StoreInstancesResult> {
    const { stored, failed, warnings, toIndex, parseWarnings, context } = this;
    if (toIndex.length) {
      try {
        // Last-access rules' checks first (docs/lifecycle.md): a study is never indexed without its check.
        await scheduleFirstChecks(toIndex);
        const indexed = await storeInstanceRecords(toIndex);
        const { unchanged, kept, failed: notIndexed } = indexed;
        // An entry this request (re)created over bytes it found stored: the bytes must still be current.
        // If they cannot be made so, the instance is reported failed (see takeBack for its entry).
        const hidden: { record: InstanceRecord; found: BytesHidden }[] = [];
        const current = async (record: InstanceRecord, created: boolean) => {
          if (!this.foundStored.has(record)) return true;
          const outcome = await this.stillStored(record);
          if (outcome instanceof BytesHidden && created) hidden.push({ record, found: outcome });
          return outcome === true;
        };
        // Side by side: a request retried after its first attempt stored every part, indexing none, looks at them all.
        const createdCurrent = await mapConcurrently(indexed.created, LOOKS_IN_FLIGHT, (record) => current(record, true));
        const created = indexed.created.filter((_, i) => createdCurrent[i]);
        const replacedCurrent = await mapConcurrently(indexed.replaced, LOOKS_IN_FLIGHT, (entry) => current(entry.record, false));
        const replaced = indexed.replaced.filter((_, i) => replacedCurrent[i]);
        if (hidden.length) await takeBack(hidden, context.now);
        for (const record of [...created, ...unchanged]) {
          const warningReason = parseWarnings.get(record);
          stored.push({ ...storedOutcome(record, context), ...(warningReason === undefined ? {} : { warningReason }) });
        }
        for (const { record, previous } of replaced) {
          stored.push({ ...storedOutcome(record, context), warningReason: WarningReason.NewVersionOfExistingInstance });
          warnings.push(`instance ${record.id.sop} existed with other content (ingested ${previous.ingestedAt}); the new content is now current and the previous version is kept`);
        }
        for (const { record, current } of kept) {
          stored.push({ ...storedOutcome(record, context), warningReason: WarningReason.NewVersionOfExistingInstance });
          warnings.push(`instance ${record.id.sop} has a version ingested later (${current.ingestedAt}), which stays current; this content is kept as an earlier version`);
        }
        for (const { record, error } of notIndexed) {
          logger.error('index write failed', { error, sopClassUID: record.sopClassUID });
          failed.push({ sopClassUID: record.sopClassUID, sopInstanceUID: record.id.sop, failureReason: isThrottling(error) ? FailureReason.OutOfResources : FailureReason.ProcessingFailure });
        }
      } catch (error) {
        logger.error('index write failed', { error: error as Error, instances: toIndex.length });
        const reason = isThrottling(error) ? FailureReason.OutOfResources : FailureReason.ProcessingFailure;
        for (const record of toIndex) failed.push({ sopClassUID: record.sopClassUID, sopInstanceUID: record.id.sop, failureReason: reason });
      }
    }
    const studies = new Set(stored.map((s) => s.retrieveUrl.split('/series/')[0]));
    const studyUrl = studies.size === 1 ? [...studies][0] : undefined;
    return { ...storeResponse(stored, failed, studyUrl), warnings, subjects: subjectsOf(toIndex) };
  }
}

/**
 * Entries this request created over bytes a DELETE hid, which it could not write again: taken
 * back (services/deletion/withdraw-entries.ts) only where S3 still shows no current object at
 * the key when looked at once more — a definite 404, never an error — so an entry whose bytes
 * another push wrote meanwhile, or that S3 merely failed to answer for, stays; and looked at once
 * more after, an entry whose bytes another push wrote in between comes back. An entry that
 * replaced another version is never taken back (that would drop the version it replaced): it
 * stays over the marker, reported failed, until the instance is pushed again.
 */
async function takeBack(hidden: { record: InstanceRecord; found: BytesHidden }[], now: Date): Promise<void> {
  const confirmed: { record: InstanceRecord; found: BytesHidden }[] = [];
  for (const entry of hidden) if (await entry.found.stillHidden().catch(() => false)) confirmed.push(entry);
  if (!confirmed.length) return;
  try {
    await withdrawEntries(
      confirmed.map(({ record }) => record),
      now,
      () => clock.now(),
    );
  } catch (error) {
    // Some entries may be gone already (a failure after a transaction committed): the look below still runs.
    logger.error('taking back entries over hidden bytes failed part way: an entry left over a delete marker heals when its instance is pushed again', { error: error as Error, instances: confirmed.length });
  }
  // Another push of the same bytes may have written them between that look and the withdrawal,
  // and found this entry already there (acknowledged as unchanged): its bytes current again, the
  // entry comes back (storing it again is idempotent: an entry still there answers unchanged). A
  // push whose write comes later indexes the instance itself.
  const reappeared: InstanceRecord[] = [];
  for (const { record, found } of confirmed) if (!(await found.stillHidden().catch(() => false))) reappeared.push(record);
  if (reappeared.length) {
    await storeInstanceRecords(reappeared).catch((error: unknown) =>
      logger.error('entries of bytes written again meanwhile not restored: the orphan sweep indexes them', { error: error as Error, instances: reappeared.length }),
    );
  }
}

async function* toAsync(body: Iterable<Buffer>): AsyncGenerator<Buffer> {
  yield* body;
}

/**
 * Versions of one SOP Instance per request. Each is a transaction of its own (a transaction
 * touches an item once), so a request of a thousand versions would outlast the API's 29 s.
 */
export const MAX_VERSIONS_PER_REQUEST = 10;

function storedOutcome(record: InstanceRecord, context: StoreContext): StoredOutcome {
  return {
    sopClassUID: record.sopClassUID,
    sopInstanceUID: record.id.sop,
    retrieveUrl: resourceUrl(context.serviceUrl, record.id),
  };
}

