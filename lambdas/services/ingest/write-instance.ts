/**
 * Writes a checked instance's bytes (by `put`: one PutObject, or a staged upload copied into
 * place) and its metadata document; then the record to index, or why not. Content-addressed
 * keys make a retry or re-push land on the same key, where the stored bytes must have this hash.
 */
import type { InstanceWarning, ParsedInstance } from '#core/dicom/read-instance.ts';
import type { FailedOutcome } from '#core/dicomweb/store-response.ts';
import { FailureReason } from '#core/dicomweb/status-codes.ts';
import { instanceObjectKey, metadataObjectKey } from '#core/index-keys.ts';
import { headInstanceObject, putMetadataObject, type ObjectMetadata } from '#adapters/object-store.ts';
import type { InstanceRecord } from '#adapters/index-store.ts';
import { logger } from '#lambdas/observability/logger.ts';
import { config } from '#lambdas/config.ts';
import { classify } from '#core/lifecycle/evaluate.ts';
import { instanceFacts } from '#core/lifecycle/facts.ts';
import { policyTags } from '#core/lifecycle/policy-class.ts';
import { storageFailure } from './check-instance.ts';
import { identityOf, instanceRecord, objectMetadata } from './instance-record.ts';
import type { StoreContext } from './store-context.ts';
import { holdArrival, holdsAtIngest } from '#services/holds/hold-at-ingest.ts';

export interface StoredInstance {
  record: InstanceRecord;
  warnings: InstanceWarning[];
  /**
   * Set when the bytes were found already stored (a retry or a re-push): once the instance is
   * indexed, makes sure a DELETE racing the push has not hidden them meanwhile (see below).
   */
  ensureStored?: () => Promise<void>;
  /** Frees what `ensureStored` needs (a streamed part's staging object) once the request is indexed. */
  release?: () => Promise<void>;
}

export interface WrittenBytes {
  sha256: string;
  size: number;
  /** The Basic Offset Table's bytes of encapsulated Pixel Data, if any. */
  offsetTable: Buffer | undefined;
}

export async function writeInstance(
  parsed: ParsedInstance,
  bytes: WrittenBytes,
  put: (key: string, metadata: ObjectMetadata, tags: Record<string, string>) => Promise<'created' | 'exists'>,
  context: StoreContext,
): Promise<StoredInstance | FailedOutcome> {
  const id = identityOf(parsed, context);
  const objectKey = instanceObjectKey(id, bytes.sha256);
  const metadataKey = metadataObjectKey(id, bytes.sha256);
  const metadata = objectMetadata(parsed, bytes.sha256, context);
  const tags = lifecycleTags(parsed, id.tenant, context);
  let holds: string[] = [];
  let foundStored = false;
  try {
    const [written] = await Promise.all([put(objectKey, metadata, tags), putMetadataObject(metadataKey, parsed.dataset)]);
    if (written === 'exists') {
      foundStored = true;
      // Content-addressed key: what is there must be these bytes (a retry or a re-push), unless a
      // DELETE hid them since the write found them: then this push writes its own bytes again.
      let existing = await headInstanceObject(objectKey);
      if (!existing && (await put(objectKey, metadata, tags)) === 'exists') existing = await headInstanceObject(objectKey);
      if (existing && existing.metadata.sha256 !== bytes.sha256) {
        logger.error('object at a content-addressed key has another hash'); // the key names tenant, study, series and SOP
        return { sopClassUID: parsed.sopClassUID, sopInstanceUID: parsed.sopInstanceUID, failureReason: FailureReason.ProcessingFailure };
      }
    }
    // A study arriving for a held patient, accession or study is held from its first instance (docs/legal-hold.md).
    holds = await holdsAtIngest(id.tenant, id.study, parsed.dataset, context);
    if (holds.length) await holdArrival(id, parsed.dataset, objectKey, bytes.size, holds, context);
  } catch (error) {
    return storageFailure(parsed, error);
  }
  const record = instanceRecord(parsed, bytes.sha256, bytes.size, bytes.offsetTable, context);
  /**
   * Bytes found stored can be deleted by a DELETE between that write and the index write, which
   * then finds no entry to remove (it went first) while this push recreates one: an entry over a
   * delete marker. Looked at again once indexed, they are written again from this push's own
   * bytes (`put`: the request's, or its staging object, kept until then) — whatever class the
   * hidden version was in, Glacier included: the push, acknowledged last, wins.
   */
  const ensureStored = async () => {
    const [object, document] = await Promise.all([headInstanceObject(objectKey), headInstanceObject(metadataKey)]);
    const rewrite = async () => {
      try {
        await put(objectKey, metadata, tags);
      } catch (error) {
        // S3 answered that no current object is there, and this push could not write one.
        throw new BytesHidden(error, async () => !(await headInstanceObject(objectKey)));
      }
    };
    await Promise.all([object ? undefined : rewrite(), document ? undefined : putMetadataObject(metadataKey, parsed.dataset)]);
  };
  return { record: holds.length ? { ...record, holds } : record, warnings: parsed.warnings, ...(foundStored ? { ensureStored } : {}) };
}

/**
 * An instance's bytes found hidden (a definite 404 for its key: a DELETE's marker) after the
 * push indexed it, which the push could not write again. `stillHidden` looks once more, just
 * before anything is decided on it: another push may have written the bytes meanwhile.
 */
export class BytesHidden extends Error {
  constructor(
    override readonly cause: unknown,
    readonly stillHidden: () => Promise<boolean>,
  ) {
    super('the instance bytes are hidden by a delete marker and could not be written again', { cause });
    this.name = 'BytesHidden';
  }
}

/** The lifecycle policy places the instance now: S3's lifecycle rules move it by these tags (docs/lifecycle.md). */
function lifecycleTags(parsed: ParsedInstance, tenant: string, context: StoreContext): Record<string, string> {
  const policy = config.lifecyclePolicy();
  const facts = instanceFacts(parsed.dataset, { tenant, sopClass: parsed.sopClassUID, ingestedAt: context.now.toISOString() });
  return policyTags({ policyClass: classify(policy, facts, context.now).id, policyVersion: policy.version });
}
