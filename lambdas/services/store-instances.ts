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
import { readInstance, type InstanceWarning, type ParsedInstance } from '#core/dicom/read-instance.ts';
import { FailureReason, WarningReason } from '#core/dicomweb/status-codes.ts';
import { isStorableSopClass } from '#core/dicom/sop-classes.ts';
import { INSTANCE_LEVEL_TAGS, SERIES_LEVEL_TAGS, STUDY_LEVEL_TAGS, Tag, TransferSyntax } from '#core/dicom/tags.ts';
import { frameRanges, type ByteRange } from '#core/dicom/frames.ts';
import { imagePixelAttributes } from '#core/dicom/pixel-format.ts';
import { firstString, personNameText, pick } from '#core/dicom/dicom-json.ts';
import { storeResponse, type FailedOutcome, type StoredOutcome, type StoreResult } from '#core/dicomweb/store-response.ts';
import type { Part } from '#core/dicomweb/multipart.ts';
import { parseMediaType } from '#core/dicomweb/media-type.ts';
import { BadRequestError, PayloadTooLargeError, StrataError } from '#core/errors.ts';
import { instanceObjectKey, metadataObjectKey, oversizedKeyValue } from '#core/index-keys.ts';
import { resourceUrl } from '#core/dicomweb/resource-url.ts';
import { nameTokens } from '#core/qido/matching.ts';
import { headInstanceObject, putInstanceObject, putMetadataObject } from '#adapters/object-store.ts';
import { storeInstanceRecords, type InstanceRecord } from '#adapters/index-store.ts';
import { logger } from '#lambdas/observability/logger.ts';
import { subjectsOf } from '#core/audit/subjects.ts';
import type { AuditSubject } from '#core/audit/record.ts';
import { config } from '#lambdas/config.ts';
import { classify } from '#core/lifecycle/evaluate.ts';
import { instanceFacts } from '#core/lifecycle/facts.ts';
import { policyTags } from '#core/lifecycle/policy-class.ts';


export interface StoreContext {
  tenant: string;
  /** The study UID of `POST /studies/{study}`, which every instance must belong to. */
  studyInUrl: string | undefined;
  /** e.g. https://pacs.example.org/dicom-web */
  serviceUrl: string;
  now: Date;
}

export interface StoreInstancesResult extends StoreResult {
  warnings: string[];
  /** The patients and studies of the instances read from the request, for the audit record. */
  subjects: AuditSubject[];
}

const CONCURRENCY = 8;

/**
 * Parts per request. Every part costs two S3 writes and an index write however small it is,
 * so a small request must not buy unbounded work; real instances are far larger than the
 * 4.4 MB a request carries through API Gateway divided by this.
 */
export const MAX_PARTS_PER_REQUEST = 1000;

export async function storeInstances(parts: Part[], context: StoreContext): Promise<StoreInstancesResult> {
  if (parts.length === 0) throw new BadRequestError('the multipart body has no parts: nothing to store');
  if (parts.length > MAX_PARTS_PER_REQUEST) {
    throw new PayloadTooLargeError(`a STOW-RS request may carry at most ${MAX_PARTS_PER_REQUEST} instances (this one has ${parts.length}); send them in several requests`);
  }
  const stored: StoredOutcome[] = [];
  const failed: FailedOutcome[] = [];
  const warnings: string[] = [];
  const toIndex: InstanceRecord[] = [];
  const parseWarnings = new Map<InstanceRecord, number>();

  // The same bytes twice in one request are one instance: stored, indexed and reported once.
  const distinct = new Map<string, { part: Part; index: number }>();
  parts.forEach((part, index) => {
    const sha256 = createHash('sha256').update(part.body).digest('hex');
    if (!distinct.has(sha256)) distinct.set(sha256, { part, index });
  });
  // Every part is checked before any is written, so limits across parts refuse before storing.
  const checked = [...distinct].map(([sha256, { part, index }]) => ({ sha256, part, index, check: checkPart(part, context) }));
  limitVersionsPerInstance(checked);
  await forEachLimited(checked, CONCURRENCY, async ({ sha256, part, index, check }) => {
    const outcome = 'failureReason' in check ? check : await storeBytes(part, sha256, check, context);
    if ('failureReason' in outcome) {
      failed.push(outcome);
      if (outcome.detail) warnings.push(`part ${index + 1} refused: ${outcome.detail}`);
    } else {
      toIndex.push(outcome.record);
      if (outcome.warnings.length) {
        parseWarnings.set(outcome.record, outcome.warnings[0]!.reason);
        for (const warning of outcome.warnings) warnings.push(`instance ${outcome.record.id.sop}: ${warning.message}`);
      }
    }
  });
  if (toIndex.length) {
    try {
      const { created, unchanged, replaced, kept, failed: notIndexed } = await storeInstanceRecords(toIndex);
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

/**
 * Versions of one SOP Instance per request. Each is a transaction of its own (a transaction
 * touches an item once), so a request of a thousand versions would outlast the API's 29 s.
 */
export const MAX_VERSIONS_PER_REQUEST = 10;

function limitVersionsPerInstance(checked: { check: ParsedInstance | FailedOutcome }[]): void {
  const seen = new Map<string, number>();
  for (const entry of checked) {
    if ('failureReason' in entry.check) continue;
    const { studyInstanceUID, seriesInstanceUID, sopInstanceUID, sopClassUID } = entry.check;
    const key = `${studyInstanceUID}|${seriesInstanceUID}|${sopInstanceUID}`;
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    if (count > MAX_VERSIONS_PER_REQUEST) {
      entry.check = {
        sopClassUID,
        sopInstanceUID,
        failureReason: FailureReason.OutOfResources,
        detail: `more than ${MAX_VERSIONS_PER_REQUEST} versions of one instance in one request; send the others in later requests`,
      };
    }
  }
}

/** Parses and validates one part: the instance to store, or why not. Writes nothing. */
function checkPart(part: Part, context: StoreContext): ParsedInstance | FailedOutcome {
  const partType = part.headers['content-type'];
  if (partType && parseMediaType(partType).type !== 'application/dicom') {
    return { sopClassUID: '', sopInstanceUID: '', failureReason: FailureReason.CannotUnderstand, detail: 'the part is not application/dicom' };
  }
  let parsed: ParsedInstance;
  try {
    parsed = readInstance(part.body);
  } catch (error) {
    const reason = error instanceof StrataError && error.failureReason !== undefined ? error.failureReason : FailureReason.CannotUnderstand;
    // The message may quote UID values from the part: the client gets it, the log the kind of error only.
    logger.info('part refused', { reason, error: (error as Error).name });
    return { sopClassUID: '', sopInstanceUID: '', failureReason: reason, detail: (error as Error).message };
  }
  const identity = { sopClassUID: parsed.sopClassUID, sopInstanceUID: parsed.sopInstanceUID };
  if (context.studyInUrl && parsed.studyInstanceUID !== context.studyInUrl) {
    return { ...identity, failureReason: FailureReason.StudyInstanceUidMismatch, detail: `its StudyInstanceUID is not the study of the request URL` };
  }
  const oversized = oversizedKeyValue(parsed.dataset, nameTokens(personNameText(parsed.dataset, Tag.PatientName)));
  if (oversized) return { ...identity, failureReason: FailureReason.DataSetDoesNotMatchSopClass, detail: oversized };
  if (!isStorableSopClass(parsed.sopClassUID)) {
    return { ...identity, failureReason: FailureReason.SopClassNotSupported, detail: `SOP Class ${parsed.sopClassUID} is not a storage SOP class` };
  }
  return parsed;
}

/** Puts a checked part's bytes and metadata in S3; returns the record to index or a failure. */
async function storeBytes(part: Part, sha256: string, parsed: ParsedInstance, context: StoreContext): Promise<{ record: InstanceRecord; warnings: InstanceWarning[] } | FailedOutcome> {
  const identity = { sopClassUID: parsed.sopClassUID, sopInstanceUID: parsed.sopInstanceUID };
  const id = { tenant: context.tenant, study: parsed.studyInstanceUID, series: parsed.seriesInstanceUID, sop: parsed.sopInstanceUID };
  const objectKey = instanceObjectKey(id, sha256);
  const ingestedAt = context.now.toISOString();
  // The lifecycle policy places the instance now; S3's lifecycle rules move it by this tag.
  const policy = config.lifecyclePolicy();
  const policyClass = classify(policy, instanceFacts(parsed.dataset, { tenant: id.tenant, sopClass: parsed.sopClassUID, ingestedAt }), context.now).id;
  try {
    const [written] = await Promise.all([
      putInstanceObject(objectKey, part.body, {
        tenant: id.tenant,
        study: id.study,
        series: id.series,
        sop: id.sop,
        sopClass: parsed.sopClassUID,
        transferSyntax: parsed.transferSyntaxUID,
        sha256,
        ingestedAt,
      }, policyTags({ policyClass, policyVersion: policy.version })),
      putMetadataObject(metadataObjectKey(id, sha256), parsed.dataset),
    ]);
    if (written === 'exists') {
      // Content-addressed key: what is there must be these bytes (a retry or a re-push).
      const existing = await headInstanceObject(objectKey);
      if (existing?.metadata.sha256 !== sha256) {
        logger.error('object at a content-addressed key has another hash'); // the key names tenant, study, series and SOP
        return { ...identity, failureReason: FailureReason.ProcessingFailure };
      }
    }
  } catch (error) {
    logger.error('object write failed', { error: error as Error });
    return { ...identity, failureReason: isThrottling(error) ? FailureReason.OutOfResources : FailureReason.ProcessingFailure };
  }
  const record: InstanceRecord = {
    id,
    sopClassUID: parsed.sopClassUID,
    transferSyntaxUID: parsed.transferSyntaxUID,
    sha256,
    size: part.body.length,
    objectKey,
    storageClass: 'STANDARD',
    ingestedAt,
    modality: firstString(parsed.dataset, Tag.Modality),
    study: pick(parsed.dataset, STUDY_LEVEL_TAGS),
    series: pick(parsed.dataset, SERIES_LEVEL_TAGS),
    instance: pick(parsed.dataset, INSTANCE_LEVEL_TAGS),
    frameRanges: recordedFrameRanges(part.body, parsed),
  };
  return { record, warnings: parsed.warnings };
}

const MAX_RECORDED_FRAMES = 5000; // keeps the index item far below DynamoDB's 400 KB

/**
 * Frame positions for ranged frame reads. Not for big-endian or deflated objects, whose
 * frames need the whole object re-encoded, nor when the frames cannot be told apart.
 */
function recordedFrameRanges(bytes: Buffer, parsed: ParsedInstance): ByteRange[][] | undefined {
  const pixel = parsed.structure.pixelData;
  const syntax = parsed.transferSyntaxUID;
  if (!pixel || syntax === TransferSyntax.ExplicitVRBigEndian || syntax === TransferSyntax.DeflatedExplicitVRLittleEndian) return undefined;
  const format = imagePixelAttributes(parsed.dataset);
  if (format.frames > MAX_RECORDED_FRAMES || !format.rows || !format.columns) return undefined;
  try {
    return frameRanges(bytes, pixel, format, format.frames);
  } catch {
    return undefined;
  }
}

function storedOutcome(record: InstanceRecord, context: StoreContext): StoredOutcome {
  return {
    sopClassUID: record.sopClassUID,
    sopInstanceUID: record.id.sop,
    retrieveUrl: resourceUrl(context.serviceUrl, record.id),
  };
}

const isThrottling = (error: unknown) =>
  /Throttl|SlowDown|ProvisionedThroughputExceeded|RequestLimitExceeded/.test((error as Error)?.name ?? '');

async function forEachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(workers);
}
