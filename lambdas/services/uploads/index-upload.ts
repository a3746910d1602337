/**
 * S3's `Object Created` event for a presigned upload's object (the rule on the uploads prefix,
 * infra/system.ts): index it as STOW would (services/ingest/index-uploaded-object.ts), record
 * the file's STOW-style result on its upload, and only then delete the staging object — so a
 * crash at any point leaves the object to be found again by the retried event, and a duplicate
 * event finds the result recorded and does nothing (docs/ingest.md).
 */
import { uploadOfObjectKey } from '#core/index-keys.ts';
import { auditEntries } from '#core/audit/record.ts';
import { FINAL_STATES, fileOutcome, type FileState, type UploadRecord } from '#core/uploads/upload-record.ts';
import { recordAudit } from '#adapters/audit/record-audit.ts';
import { deleteStagedObject, headInstanceObject } from '#adapters/object-store.ts';
import { getUpload, getUploadFile, recordFileOutcome } from '#adapters/uploads/upload-records.ts';
import { logger } from '#lambdas/observability/logger.ts';
import { indexUploadedObject, noReads, type IndexOptions, type IndexReads } from '#services/ingest/index-uploaded-object.ts';
import { startPriorPrefetch } from '#services/restores/prior-prefetch.ts';
import type { StoreInstancesResult } from '#services/store-instances.ts';

export type UploadEventOutcome =
  /** Not an upload's object, or one no upload knows (left to the lifecycle rule). */
  | { ignored: string }
  /** Recorded before: this event is a duplicate (or a retry after the record). */
  | { duplicate: FileState }
  /** Indexed now; `recorded` false when a concurrent duplicate recorded first. */
  | { state: FileState; recorded: boolean };

export interface IndexUploadOptions extends IndexOptions {
  reads?: IndexReads;
}

/** `eventId` names the work in the audit trail (the event has no request of its own). */
export async function onUploadedObject(key: string, now: Date, eventId: string, options: IndexUploadOptions = {}): Promise<UploadEventOutcome> {
  const named = uploadOfObjectKey(key);
  if (!named) return { ignored: 'not an upload object key' };
  const { tenant, upload: id, file } = named;
  const [upload, record] = await Promise.all([getUpload(tenant, id), getUploadFile(tenant, id, file)]);
  if (!upload || !record) return { ignored: 'no upload names this object' };
  if (FINAL_STATES.includes(record.state)) {
    // Recorded, but a crash may have come before the staging object was removed (deleting an
    // absent key in a versioned bucket would only stack up delete markers).
    if (await headInstanceObject(key)) await deleteStagedObject(key);
    return { duplicate: record.state };
  }
  const reads = options.reads ?? noReads();
  const result = await indexUploadedObject({ key, sha256: record.sha256, size: record.size }, { tenant, studyInUrl: undefined, serviceUrl: upload.serviceUrl, now }, reads, options);
  // The object is gone: a concurrent duplicate moved it (and records the result), or it expired.
  if (!result) return { ignored: 'the object is no longer staged' };
  const study = result.subjects.flatMap((subject) => subject.studies ?? [])[0];
  const { state, result: fileResult } = fileOutcome({ body: result.body, warnings: result.warnings, study }, { headerRead: { ...reads.header }, hashRead: { ...reads.hash } });
  const recorded = await recordFileOutcome(tenant, id, file, state, fileResult, now);
  await deleteStagedObject(key);
  logger.info('uploaded object indexed', { state, recorded, failureReason: fileResult.failureReason, headerReads: reads.header.requests, headerBytes: reads.header.bytes, hashReads: reads.hash.requests, hashedBytes: reads.hash.bytes });
  if (recorded) await auditIndexing(upload, file, result, now, eventId);
  if (state !== 'refused' && study) await prefetchPriors(tenant, study);
  return { state, recorded };
}

/**
 * The instances stored (or refused) are recorded as a STOW's would be, in the name of the client
 * that created the upload. A creation: a record that cannot be written is logged, the result stands.
 */
async function auditIndexing(upload: UploadRecord, file: number, result: StoreInstancesResult, now: Date, eventId: string): Promise<void> {
  const subjects = (result.subjects.length ? result.subjects : [{}]).map((subject) => ({ ...subject, detail: { upload: upload.id, file } }));
  const facts = { kind: 'store', at: now, method: 'EVENT', resource: '/dicom-web/uploads/{id}/files/{file}', status: result.status, requestId: eventId, sourceIp: undefined } as const;
  try {
    await recordAudit(auditEntries({ ...facts, caller: { clientId: upload.clientId, tenant: upload.tenant, scopes: [] } }, subjects));
  } catch (error) {
    logger.error('audit record of an indexed upload not written', { error: (error as Error).name, upload: upload.id, file });
  }
}

/** As after a STOW: an optimisation, so a failure is logged and the file's result stands. */
async function prefetchPriors(tenant: string, study: string): Promise<void> {
  try {
    await startPriorPrefetch(tenant, [study]);
  } catch (error) {
    logger.warn('prior prefetch not started', { error: (error as Error).name });
  }
}
