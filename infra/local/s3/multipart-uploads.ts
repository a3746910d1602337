/**
 * Multipart uploads in progress, which s3rver keeps but cannot list (ListMultipartUploads: 501)
 * nor abort (AbortMultipartUpload: 405). s3rver stores each upload in
 * `<directory>/<bucket>/._S3rver_uploads/<uploadId>/`: a `key` file, a `metadata` file and one
 * file per part; CompleteMultipartUpload removes that folder. The folder is therefore the truth
 * of which uploads are open: listing reads it, aborting removes it. What s3rver does not keep —
 * the tags an upload was created with and its initiation on the local clock — is kept here.
 */
import type { ServerResponse } from 'node:http';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '#adapters/clock.ts';
import { escapeXml, sendXml, sendXmlError } from './upstream.ts';

/** S3's page size and ceiling. */
const MAX_UPLOADS = 1_000;
/** s3rver's upload ids are 32 hex digits; anything else (e.g. `../`) names no upload. */
const UPLOAD_ID = /^[0-9a-f]{1,64}$/;

export interface OpenUpload {
  key: string;
  uploadId: string;
  initiated: Date;
  storageClass: string;
}

export class MultipartUploads {
  /** What s3rver forgets: per upload id, its tags (x-amz-tagging) and when it was created on the local clock. */
  private readonly started = new Map<string, { tags?: Record<string, string>; initiated: Date }>();

  constructor(
    private readonly s3rverDirectory: string,
    private readonly clock: Clock,
  ) {}

  created(uploadId: string, tags: Record<string, string> | undefined): void {
    this.started.set(uploadId, { ...(tags ? { tags } : {}), initiated: this.clock.now() });
  }

  tagsOf(uploadId: string): Record<string, string> | undefined {
    return this.started.get(uploadId)?.tags;
  }

  /** After CompleteMultipartUpload: s3rver has removed the folder; the upload's own fields go too. */
  completed(uploadId: string): void {
    this.started.delete(uploadId);
  }

  /** Whether s3rver holds the upload (its `key` file is written at creation and removed on completion). */
  isOpen(bucket: string, uploadId: string): boolean {
    return UPLOAD_ID.test(uploadId) && existsSync(join(this.folder(bucket, uploadId), 'key'));
  }

  /** AbortMultipartUpload: the parts are deleted and the upload is gone, 204 as in S3; 404 NoSuchUpload when unknown. */
  async abort(res: ServerResponse, bucket: string, uploadId: string): Promise<void> {
    if (!this.isOpen(bucket, uploadId)) return noSuchUpload(res, uploadId);
    await rm(this.folder(bucket, uploadId), { recursive: true, force: true });
    this.started.delete(uploadId);
    res.writeHead(204).end();
  }

  /** ListMultipartUploads: the bucket's open uploads by key, then initiation; prefix, max-uploads and the key/upload-id markers. */
  list(res: ServerResponse, bucket: string, query: URLSearchParams): void {
    const prefix = query.get('prefix') ?? '';
    const keyMarker = query.get('key-marker') ?? '';
    const uploadIdMarker = keyMarker ? (query.get('upload-id-marker') ?? '') : '';
    const requested = Number(query.get('max-uploads') ?? MAX_UPLOADS);
    const maxUploads = Number.isInteger(requested) && requested >= 0 ? Math.min(requested, MAX_UPLOADS) : MAX_UPLOADS;
    const all = this.open(bucket).filter((upload) => upload.key.startsWith(prefix));
    // S3: with an upload-id marker, the marker key's later uploads follow; without, only keys after the marker.
    const markerIndex = uploadIdMarker ? all.findIndex((upload) => upload.key === keyMarker && upload.uploadId === uploadIdMarker) : -1;
    const after = all.filter((upload, i) => !keyMarker || upload.key > keyMarker || (markerIndex >= 0 && upload.key === keyMarker && i > markerIndex));
    const page = after.slice(0, maxUploads);
    const truncated = after.length > page.length;
    const last = page.at(-1);
    const owner = '<ID>local</ID><DisplayName>local</DisplayName>';
    sendXml(
      res,
      200,
      [
        `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`,
        `<Bucket>${escapeXml(bucket)}</Bucket>`,
        `<KeyMarker>${escapeXml(keyMarker)}</KeyMarker><UploadIdMarker>${escapeXml(uploadIdMarker)}</UploadIdMarker>`,
        truncated && last ? `<NextKeyMarker>${escapeXml(last.key)}</NextKeyMarker><NextUploadIdMarker>${last.uploadId}</NextUploadIdMarker>` : '',
        `<Prefix>${escapeXml(prefix)}</Prefix><MaxUploads>${maxUploads}</MaxUploads><IsTruncated>${truncated}</IsTruncated>`,
        ...page.map(
          (upload) =>
            `<Upload><Key>${escapeXml(upload.key)}</Key><UploadId>${upload.uploadId}</UploadId>` +
            `<Initiator>${owner}</Initiator><Owner>${owner}</Owner>` +
            `<StorageClass>${escapeXml(upload.storageClass)}</StorageClass><Initiated>${upload.initiated.toISOString()}</Initiated></Upload>`,
        ),
        `</ListMultipartUploadsResult>`,
      ].join(''),
    );
  }

  /** The bucket's open uploads, ordered as S3 lists them. */
  open(bucket: string): OpenUpload[] {
    const uploadsFolder = join(this.s3rverDirectory, bucket, '._S3rver_uploads');
    if (!existsSync(uploadsFolder)) return [];
    const uploads: OpenUpload[] = [];
    for (const uploadId of readdirSync(uploadsFolder)) {
      const upload = this.read(bucket, uploadId);
      if (upload) uploads.push(upload);
    }
    return uploads.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated.getTime() - b.initiated.getTime()));
  }

  private read(bucket: string, uploadId: string): OpenUpload | undefined {
    const folder = this.folder(bucket, uploadId);
    try {
      const key = readFileSync(join(folder, 'key'), 'utf8');
      const metadata = JSON.parse(readFileSync(join(folder, 'metadata'), 'utf8')) as Record<string, string>;
      // An upload created before this process started: its creation time on disk stands in.
      const initiated = this.started.get(uploadId)?.initiated ?? statSync(join(folder, 'key')).mtime;
      return { key, uploadId, initiated, storageClass: metadata['x-amz-storage-class'] ?? 'STANDARD' };
    } catch {
      // Completed or aborted while being read, or a folder a part left without its upload: not open.
      return undefined;
    }
  }

  private folder(bucket: string, uploadId: string): string {
    return join(this.s3rverDirectory, bucket, '._S3rver_uploads', uploadId);
  }
}

export function noSuchUpload(res: ServerResponse, uploadId: string): void {
  sendXmlError(res, 404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
}
