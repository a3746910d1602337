/**
 * The presigned upload routes (docs/ingest.md): create an upload (a multipart upload per file,
 * presigned part URLs), sign more part URLs, complete a file (CompleteMultipartUpload with the
 * client's ETags; S3's Object Created event then runs the indexer, ./index-upload.ts), and report.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '#core/errors.ts';
import { uploadObjectKey } from '#core/index-keys.ts';
import { ABANDONED_UPLOAD, completedParts, partRange, partUrlsPerFile, planUpload } from '#core/uploads/upload-plan.ts';
import { uploadView, type UploadFileRecord, type UploadRecord, type UploadView } from '#core/uploads/upload-record.ts';
import { completeMultipartUpload, createMultipartUpload, PART_URL_SECONDS, presignPart } from '#adapters/uploads/multipart-uploads.ts';
import { headInstanceObject } from '#adapters/object-store.ts';
import { getUpload, getUploadFile, markUploaded, putUpload, readUpload } from '#adapters/uploads/upload-records.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Multipart uploads created at once. */
const CONCURRENCY = 16;

export interface PartUrl {
  partNumber: number;
  url: string;
}

export interface CreatedFile {
  file: number;
  name?: string | undefined;
  size: number;
  partSize: number;
  parts: number;
  partUrls: PartUrl[];
  /** Where to ask for URLs of the parts after those given (and for fresh ones once they expire). */
  moreParts: string;
  /** Where to POST {parts:[{partNumber, etag}]} once every part is uploaded. */
  complete: string;
}

export interface CreatedUpload {
  id: string;
  location: string;
  expiresAt: string;
  partUrlsExpireInSeconds: number;
  files: CreatedFile[];
}

/** `base` is the uploads collection's URL (…/dicom-web/uploads). */
export async function createUpload(tenant: string, clientId: string, body: unknown, context: { now: Date; serviceUrl: string; base: string }): Promise<CreatedUpload> {
  const planned = planUpload(body);
  const id = randomUUID();
  const upload: UploadRecord = {
    id,
    tenant,
    clientId,
    createdAt: context.now.toISOString(),
    expiresAt: new Date(context.now.getTime() + ABANDONED_UPLOAD.abortIncompleteAfterDays * DAY_MS).toISOString(),
    files: planned.length,
    serviceUrl: context.serviceUrl,
  };
  const records: UploadFileRecord[] = [];
  for (let i = 0; i < planned.length; i += CONCURRENCY) {
    records.push(
      ...(await Promise.all(
        planned.slice(i, i + CONCURRENCY).map(async (file): Promise<UploadFileRecord> => {
          const key = uploadObjectKey(tenant, id, file.file);
          return { ...file, key, multipartUploadId: await createMultipartUpload(key), state: 'uploading' };
        }),
      )),
    );
  }
  await putUpload(upload, records);
  const urls = partUrlsPerFile(planned);
  const location = `${context.base}/${id}`;
  return {
    id,
    location,
    expiresAt: upload.expiresAt,
    partUrlsExpireInSeconds: PART_URL_SECONDS,
    files: await Promise.all(
      records.map(async (record) => ({
        file: record.file,
        ...(record.name === undefined ? {} : { name: record.name }),
        size: record.size,
        partSize: record.partSize,
        parts: record.parts,
        partUrls: await signParts(record, 1, Math.min(record.parts, urls)),
        moreParts: `${location}/files/${record.file}/parts`,
        complete: `${location}/files/${record.file}/complete`,
      })),
    ),
  };
}

async function signParts(record: UploadFileRecord, first: number, last: number): Promise<PartUrl[]> {
  const numbers = Array.from({ length: last - first + 1 }, (_, index) => first + index);
  return Promise.all(numbers.map(async (partNumber) => ({ partNumber, url: await presignPart(record.key, record.multipartUploadId, partNumber) })));
}

async function fileOf(tenant: string, id: string, file: number): Promise<UploadFileRecord> {
  const record = Number.isSafeInteger(file) && file >= 1 ? await getUploadFile(tenant, id, file) : undefined;
  if (!record) throw new NotFoundError(`upload ${id} has no file ${file}`);
  return record;
}

/** Fresh URLs for parts first..first+count-1 of a file still uploading. */
export async function partUrls(tenant: string, id: string, file: number, first: number, count: number, now: Date): Promise<{ file: number; parts: number; partUrls: PartUrl[] }> {
  const record = await fileOf(tenant, id, file);
  if (record.state !== 'uploading') throw new ConflictError(`file ${file} of upload ${id} is already complete`);
  await assertNotExpired(tenant, id, now);
  const range = partRange(record.parts, first, count);
  return { file, parts: record.parts, partUrls: await signParts(record, range.first, range.last) };
}

async function assertNotExpired(tenant: string, id: string, now: Date): Promise<void> {
  const upload = await getUpload(tenant, id);
  if (!upload) throw new NotFoundError(`no upload ${id}`);
  if (now.getTime() >= Date.parse(upload.expiresAt)) throw new ConflictError(`upload ${id} expired at ${upload.expiresAt}; S3 has discarded its unfinished parts (create a new upload)`);
}

/**
 * Completes a file's multipart upload; S3's Object Created event then indexes it. Idempotent: a
 * file already completed answers as it is (a retried request, or the indexer already ran).
 */
export async function completeFile(tenant: string, id: string, file: number, body: unknown, now: Date): Promise<{ file: number; state: string }> {
  const record = await fileOf(tenant, id, file);
  if (record.state !== 'uploading') return { file, state: record.state };
  const parts = completedParts(body, record.parts);
  await assertNotExpired(tenant, id, now);
  if ((await completeMultipartUpload(record.key, record.multipartUploadId, parts)) === 'gone') {
    // Completed by an earlier request whose answer was lost, or aborted: the item says which.
    const again = await fileOf(tenant, id, file);
    if (again.state !== 'uploading') return { file, state: again.state };
    // Completed, and the indexer has not recorded it yet (it records before removing the object)?
    if (!(await headInstanceObject(record.key))) throw new ConflictError(`file ${file}'s multipart upload is no longer open in S3 (already completed, or aborted); GET the upload for its state`);
  }
  await markUploaded(tenant, id, file);
  const after = await fileOf(tenant, id, file);
  return { file, state: after.state };
}

export async function uploadReport(tenant: string, id: string, now: Date): Promise<UploadView> {
  const found = await readUpload(tenant, id);
  if (!found) throw new NotFoundError(`no upload ${id}`);
  return uploadView(found.upload, found.files, now);
}
