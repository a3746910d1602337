/**
 * The push's third route (docs/ingest.md, "Presigned uploads"): a file too large for a STOW-RS
 * request goes straight to S3. POST /dicom-web/uploads declares it (size, SHA-256); its parts are
 * PUT to the presigned URLs the archive answers, streamed from disk a range at a time, a few at
 * once; the archive completes the multipart upload with the parts' ETags, S3's event indexes the
 * object, and GET /dicom-web/uploads/{id} says what became of it, as a STOW response would.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Connection } from './archive-state.ts';
import { networkErrorText, withRetries } from './retry.ts';
import type { FileOutcome } from './stow-request.ts';

export interface PresignedFile {
  path: string;
  size: number;
  sha256: string;
}

export interface PresignedOptions {
  /** Parts in flight at once (each streams from disk; memory stays small whatever the part size). */
  partConcurrency?: number;
  /** How long to wait for the archive to index the file after it is complete. */
  indexTimeoutMs?: number;
  /** Hears each part sent (bytes), for progress. */
  onBytes?: (bytes: number) => void;
  log?: (line: string) => void;
}

interface CreatedFile {
  file: number;
  parts: number;
  partSize: number;
  partUrls: { partNumber: number; url: string }[];
  moreParts: string;
  complete: string;
}

interface FileView {
  status: 'pending' | 'stored' | 'stored-with-warning' | 'refused';
  warningReason?: number;
  failureReason?: number;
  reason?: string;
}

/** Failures the push reports as the file's outcome ('not-sent' with the reason, which names the upload once there is one). */
export class PresignedUploadError extends Error {}

/** The file's outcome, and the upload an operator looks it up by (GET /dicom-web/uploads/{id}). */
export type PresignedOutcome = FileOutcome & { upload: string };

const URL_PAGE = 500;

/** Uploads one file through the presigned path and answers its outcome as STOW's would be read, with the upload's id. */
export async function pushPresigned(file: PresignedFile, connection: Connection, options: PresignedOptions = {}): Promise<PresignedOutcome> {
  const created = await call<{ id: string; location: string; files: CreatedFile[] }>(connection, `${connection.url}/uploads`, 'POST', {
    files: [{ name: file.path.split(/[\\/]/).pop(), size: file.size, sha256: file.sha256 }],
  });
  const planned = created.files[0]!;
  options.log?.(`presigned: upload ${created.id} for ${file.path} (${planned.parts} part(s) of ${(planned.partSize / 2 ** 20).toFixed(0)} MiB; report at ${created.location})`);
  try {
    const etags = await uploadParts(file, planned, connection, options);
    await call(connection, planned.complete, 'POST', { parts: etags.map((etag, index) => ({ partNumber: index + 1, etag })) });
    return { ...outcomeOf(await indexed(created.location, connection, options.indexTimeoutMs ?? 15 * 60_000)), upload: created.id };
  } catch (error) {
    // The operator's way back to this file on the archive's side.
    if (error instanceof PresignedUploadError) throw new PresignedUploadError(`upload ${created.id}: ${error.message}`);
    throw error;
  }
}

async function uploadParts(file: PresignedFile, planned: CreatedFile, connection: Connection, options: PresignedOptions): Promise<string[]> {
  const urls = new Map(planned.partUrls.map((part) => [part.partNumber, part.url]));
  const etags: string[] = new Array(planned.parts);
  let next = 1;
  const urlOf = async (partNumber: number): Promise<string> => {
    if (!urls.has(partNumber)) {
      const page = await call<{ partUrls: { partNumber: number; url: string }[] }>(connection, `${planned.moreParts}?first=${partNumber}&count=${URL_PAGE}`, 'GET');
      for (const part of page.partUrls) urls.set(part.partNumber, part.url);
    }
    return urls.get(partNumber)!;
  };
  const worker = async () => {
    while (next <= planned.parts) {
      const partNumber = next++;
      const start = (partNumber - 1) * planned.partSize;
      const end = Math.min(file.size, start + planned.partSize);
      const url = await urlOf(partNumber);
      const attempt = await withRetries(
        () =>
          fetch(url, {
            method: 'PUT',
            headers: { 'Content-Length': String(end - start) },
            body: Readable.toWeb(createReadStream(file.path, { start, end: end - 1 })) as ReadableStream,
            duplex: 'half',
          } as RequestInit),
        connection.retry,
        (why, delay) => options.log?.(`presigned: part ${partNumber} of ${file.path}: ${why}; retrying in ${(delay / 1000).toFixed(1)} s`),
      );
      if ('error' in attempt) throw new PresignedUploadError(`part ${partNumber}: no answer after ${attempt.attempts} attempts (${networkErrorText(attempt.error)})`);
      const { response } = attempt;
      const etag = response.headers.get('etag');
      if (!response.ok || !etag) throw new PresignedUploadError(`part ${partNumber}: S3 answered ${response.status} ${(await response.text()).replace(/\s+/g, ' ').slice(0, 200)}`);
      await response.arrayBuffer();
      etags[partNumber - 1] = etag;
      options.onBytes?.(end - start);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.partConcurrency ?? 4, planned.parts) }, worker));
  return etags;
}

/** Polls the upload until the file is no longer pending (the indexer runs on S3's event). */
async function indexed(location: string, connection: Connection, timeoutMs: number): Promise<FileView> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 100; ; wait = Math.min(wait * 2, 5000)) {
    const report = await call<{ files: FileView[] }>(connection, location, 'GET');
    const view = report.files[0]!;
    if (view.status !== 'pending') return view;
    if (Date.now() > deadline) throw new PresignedUploadError(`uploaded, but not indexed within ${Math.round(timeoutMs / 1000)} s (see ${location})`);
    await new Promise((done) => setTimeout(done, wait));
  }
}

function outcomeOf(view: FileView): FileOutcome {
  if (view.status === 'refused') return { kind: 'refused', code: view.failureReason ?? 0x0110, reason: view.reason ?? 'refused' };
  return { kind: 'stored', warnings: view.status === 'stored-with-warning' ? [{ code: view.warningReason, message: view.reason ?? '' }] : [] };
}

/** A JSON exchange with the archive, retried as every push request is; a non-2xx answer is thrown with its text. */
async function call<T = unknown>(connection: Connection, url: string, method: 'GET' | 'POST', body?: unknown): Promise<T> {
  const attempt = await withRetries(
    () =>
      fetch(url, {
        method,
        headers: { Authorization: `Bearer ${connection.token}`, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    connection.retry,
  );
  if ('error' in attempt) throw new PresignedUploadError(`${method} ${url}: no answer after ${attempt.attempts} attempts (${networkErrorText(attempt.error)})`);
  const text = await attempt.response.text();
  if (!attempt.response.ok) throw new PresignedUploadError(`${method} ${new URL(url).pathname} answered ${attempt.response.status} ${text.replace(/\s+/g, ' ').slice(0, 200)}`);
  return JSON.parse(text) as T;
}
