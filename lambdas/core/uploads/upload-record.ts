/**
 * What the index keeps of a presigned upload (one item, and one per file), how an indexed file's
 * Store Instances Response becomes its result, and the STOW-style report GET /dicom-web/uploads/{id}
 * answers (docs/ingest.md).
 */
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { Tag } from '#core/dicom/tags.ts';
import { FailureReason } from '#core/dicomweb/status-codes.ts';
import { storeResponse, StoreResponseTags as T, type FailedOutcome, type StoredOutcome } from '#core/dicomweb/store-response.ts';
import type { PlannedFile } from './upload-plan.ts';

export interface UploadRecord {
  id: string;
  tenant: string;
  /** The OAuth client that created it. */
  clientId: string;
  createdAt: string;
  /** When S3 aborts its unfinished multipart uploads (the lifecycle rule); a file not completed by then never will be. */
  expiresAt: string;
  files: number;
  /** The DICOMweb root RetrieveURLs are built on (the creating request's, as STOW's). */
  serviceUrl: string;
}

/**
 * `uploading` until the client completes it, `uploaded` until the indexer has read it, then one
 * of the three outcomes (final: a duplicate event changes nothing).
 */
export type FileState = 'uploading' | 'uploaded' | 'stored' | 'stored-with-warning' | 'refused';
export const FINAL_STATES: readonly FileState[] = ['stored', 'stored-with-warning', 'refused'];

export interface FileResult {
  sopClassUID?: string | undefined;
  sopInstanceUID?: string | undefined;
  studyInstanceUID?: string | undefined;
  retrieveUrl?: string | undefined;
  warningReason?: number | undefined;
  failureReason?: number | undefined;
  /** Why, in words (the Warning texts of a STOW response). */
  reason?: string | undefined;
  /** What indexing parsed: ranged GETs of the header, never the whole object (docs/ingest.md). */
  headerRead?: { requests: number; bytes: number } | undefined;
  /** What indexing read to establish the SHA-256 of the bytes uploaded: the whole object once, in ranges (absent when refused from its header). */
  hashRead?: { requests: number; bytes: number } | undefined;
}

/** A planned file (core/uploads/upload-plan.ts) once its multipart upload exists. */
export interface UploadFileRecord extends PlannedFile {
  /** The S3 key it is uploaded to, and its multipart upload. */
  key: string;
  multipartUploadId: string;
  state: FileState;
  result?: FileResult | undefined;
}

/** What the indexer answered for one file, in the shape of a STOW-RS answer. */
export interface IndexedFile {
  body: DicomJsonDataset;
  warnings: string[];
  study?: string | undefined;
}

type Item = Record<string, { Value?: unknown[] } | undefined>;
const first = (dataset: Item | undefined, tag: string) => dataset?.[tag]?.Value?.[0];

/** The file's final state and result from the Store Instances Response the indexer produced for it alone. */
export function fileOutcome(indexed: IndexedFile, reads: Pick<FileResult, 'headerRead' | 'hashRead'> = {}): { state: FileState; result: FileResult } {
  const headerRead = reads.headerRead;
  const hashRead = reads.hashRead?.requests ? reads.hashRead : undefined;
  const body = indexed.body as unknown as Item;
  const reason = indexed.warnings.length ? indexed.warnings.join('; ') : undefined;
  const stored = first(body, T.ReferencedSOPSequence) as Item | undefined;
  if (stored) {
    const warningReason = first(stored, T.WarningReason) as number | undefined;
    return {
      state: warningReason === undefined ? 'stored' : 'stored-with-warning',
      result: {
        sopClassUID: first(stored, T.ReferencedSOPClassUID) as string | undefined,
        sopInstanceUID: first(stored, T.ReferencedSOPInstanceUID) as string | undefined,
        studyInstanceUID: indexed.study,
        retrieveUrl: first(stored, Tag.RetrieveURL) as string | undefined,
        warningReason,
        reason,
        headerRead,
        hashRead,
      },
    };
  }
  const failed = first(body, T.FailedSOPSequence) as Item | undefined;
  return {
    state: 'refused',
    result: {
      sopClassUID: (first(failed, T.ReferencedSOPClassUID) as string | undefined) || undefined,
      sopInstanceUID: (first(failed, T.ReferencedSOPInstanceUID) as string | undefined) || undefined,
      failureReason: (first(failed, T.FailureReason) as number | undefined) ?? FailureReason.ProcessingFailure,
      reason,
      headerRead,
      hashRead,
    },
  };
}

export type FileStatus = 'pending' | 'stored' | 'stored-with-warning' | 'refused';

export interface UploadFileView extends FileResult {
  file: number;
  name?: string | undefined;
  size: number;
  status: FileStatus;
  /** Where a pending file is: waiting for its parts and completion, or for the indexer. */
  stage?: 'uploading' | 'uploaded';
}

export interface UploadView {
  id: string;
  createdAt: string;
  expiresAt: string;
  /** `pending` while any file is; then `done`. */
  status: 'pending' | 'done';
  counts: Record<FileStatus, number>;
  files: UploadFileView[];
  /** The Store Instances Response (PS3.18 Annex I) of the files finished so far, and its STOW-RS status. */
  response: { status: number; body: DicomJsonDataset } | undefined;
}

const EXPIRED = 'the upload was not completed before it expired; its parts were discarded (create a new upload)';

/** The report of an upload at `now`: a file still uploading after the expiry is refused, as S3 has discarded its parts. */
export function uploadView(upload: UploadRecord, files: readonly UploadFileRecord[], now: Date): UploadView {
  const expired = now.getTime() >= Date.parse(upload.expiresAt);
  const views = [...files].sort((a, b) => a.file - b.file).map((file): UploadFileView => {
    const base = { file: file.file, ...(file.name === undefined ? {} : { name: file.name }), size: file.size };
    if (file.state === 'uploading' && expired) return { ...base, status: 'refused', failureReason: FailureReason.ProcessingFailure, reason: EXPIRED };
    if (file.state === 'uploading' || file.state === 'uploaded') return { ...base, status: 'pending', stage: file.state };
    return { ...base, status: file.state, ...file.result };
  });
  const counts: Record<FileStatus, number> = { pending: 0, stored: 0, 'stored-with-warning': 0, refused: 0 };
  for (const view of views) counts[view.status]++;
  const stored: StoredOutcome[] = views
    .filter((v) => v.status === 'stored' || v.status === 'stored-with-warning')
    .map((v) => ({ sopClassUID: v.sopClassUID ?? '', sopInstanceUID: v.sopInstanceUID ?? '', retrieveUrl: v.retrieveUrl ?? '', ...(v.warningReason === undefined ? {} : { warningReason: v.warningReason }) }));
  const failed: FailedOutcome[] = views.filter((v) => v.status === 'refused').map((v) => ({ sopClassUID: v.sopClassUID ?? '', sopInstanceUID: v.sopInstanceUID ?? '', failureReason: v.failureReason! }));
  const studies = new Set(views.map((v) => v.studyInstanceUID).filter(Boolean));
  const studyUrl = studies.size === 1 ? views.find((v) => v.retrieveUrl)?.retrieveUrl?.replace(/\/series\/.*$/, '') : undefined;
  return {
    id: upload.id,
    createdAt: upload.createdAt,
    expiresAt: upload.expiresAt,
    status: counts.pending ? 'pending' : 'done',
    counts,
    files: views,
    response: stored.length || failed.length ? storeResponse(stored, failed, studyUrl) : undefined,
  };
}
