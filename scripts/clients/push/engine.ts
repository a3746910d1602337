/**
 * The push engine, shared by the push CLI and the edge gateway: sends DICOM files to a Strata
 * archive, study by study, never losing or doubling one.
 *
 * - Resume: before a study is sent, the archive is asked what it holds of it (QIDO-RS, SOP
 *   Instance UID and SHA-256); a file it holds with the same hash is "already present" and not
 *   sent. A re-sent file is harmless anyway — the archive stores content-addressed, so the same
 *   bytes are the same instance — the check saves the transfer.
 * - Route by size: small files in batches through the API (bodies under ~4 MB, API Gateway and
 *   Lambda's limit), larger ones one by one to the data plane (streamed from disk), and files over
 *   `presignedOver` — or over the API's limit when there is no data plane — straight to S3 through
 *   a presigned upload (presigned-upload.ts).
 * - Bounded concurrency; network errors, 5xx and 429/503 are retried with backoff (retry.ts);
 *   instances the archive failed on its side (0xA700, 0x0110) are sent again in a later round.
 */
import { sha256Of, storedInstances, type Connection } from './archive-state.ts';
import { pushPresigned } from './presigned-upload.ts';
import { DEFAULT_RETRY, networkErrorText, withRetries, type RetryPolicy } from './retry.ts';
import type { DicomFile, ScanResult } from './scan.ts';
import { boundaryOf, bufferedBody, isStoreResponse, isTransientFailure, multipartType, outcomesOf, reasonName, streamedBody, streamedLength, type FileOutcome } from './stow-request.ts';
import { groupKey, Tally } from './tally.ts';

export type Route = 'api' | 'data-plane' | 'presigned';

export interface PushOptions {
  /** The API's DICOMweb root, e.g. http://127.0.0.1:8080/dicom-web */
  url: string;
  /** The data plane's DICOMweb root (large files); without it they go to the API, which may refuse them with 413. */
  dataUrl?: string | undefined;
  token: string;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Files per API request. */
  batchFiles?: number;
  /** Largest request body through the API: API Gateway takes 10 MB and Lambda 6 MB after base64, so ~4 MB of DICOM. */
  apiBodyBytes?: number;
  /** Files larger than this go through a presigned upload even when there is a data plane. */
  presignedOver?: number | undefined;
  /** Parts of one presigned upload in flight at once. */
  partConcurrency?: number;
  /** Ask the archive what it holds before sending (default true). */
  resume?: boolean;
  retry?: RetryPolicy;
  /** Rounds for instances the archive failed on its side (0xA700, 0x0110). */
  rounds?: number;
  /** Hears each file's outcome (the CLI's --report file, the edge gateway's spool). */
  onFile?: (report: FileReport) => void;
  /** Hears each finished request and each retry, for progress and logs. */
  onEvent?: (event: string) => void;
  /** Hears lines worth a person's attention (a refused file, a retry). */
  log?: (line: string) => void;
}

export interface FileReport {
  path: string;
  study: string | undefined;
  sop: string | undefined;
  size: number;
  outcome: 'stored' | 'present' | 'refused' | 'not-sent';
  via?: Route;
  /** The presigned upload that carried it (GET /dicom-web/uploads/{id} has the archive's report). */
  upload?: string;
  code?: number;
  reason?: string;
  warnings?: string[];
}

export const API_BODY_BYTES = 4 * 1024 * 1024;
const PART_OVERHEAD = 120; // boundary and part header per part

export function routeOf(size: number, options: Pick<PushOptions, 'apiBodyBytes' | 'dataUrl' | 'presignedOver'>): Route {
  if (options.presignedOver !== undefined && size > options.presignedOver) return 'presigned';
  if (size + PART_OVERHEAD <= (options.apiBodyBytes ?? API_BODY_BYTES)) return 'api';
  return options.dataUrl ? 'data-plane' : 'presigned';
}

/** A file to send; `alone` asks for a request of its own (to learn which file an unnamed refusal was). */
interface Item {
  file: DicomFile;
  route?: Route;
  alone?: boolean;
  /** Why it is sent again (reported if no round stores it). */
  last?: { code: number; reason: string };
}

interface Request {
  route: Route;
  files: DicomFile[];
}

/** Pushes the scanned files; `tally` (counted as the push goes, for progress) is returned filled. */
export async function pushFiles(scanned: ScanResult, options: PushOptions, tally = new Tally()): Promise<Tally> {
  tally.files = scanned.files.length;
  tally.bytes = scanned.files.reduce((total, file) => total + file.size, 0);
  for (const skipped of scanned.skipped) Tally.add(tally.skipped, skipped.reason, skipped.path);
  const push = new Push(tally, options);
  await push.run(scanned.files);
  return tally;
}

class Push {
  private readonly connection: Connection;
  private readonly pool: Pool;
  private fatal: string | undefined;
  /** Files to send in the next round (failed on the archive's side, or too large for the API). */
  private again: Item[] = [];

  constructor(
    private readonly tally: Tally,
    private readonly options: PushOptions,
  ) {
    this.connection = { url: options.url, token: options.token, retry: options.retry ?? DEFAULT_RETRY };
    this.pool = new Pool(options.concurrency ?? 4);
  }

  async run(files: DicomFile[]): Promise<void> {
    for (const [study, group] of byStudy(files)) {
      const toSend = await this.notHeld(study, group);
      for (const request of this.requestsOf(toSend.map((file) => ({ file })))) await this.pool.submit(() => this.send(request));
    }
    await this.pool.drain();
    for (let round = 1; round < (this.options.rounds ?? 3) && this.again.length; round++) {
      const again = this.again;
      this.again = [];
      this.options.log?.(`sending ${again.length} file(s) again`);
      for (const request of this.requestsOf(again)) await this.pool.submit(() => this.send(request));
      await this.pool.drain();
    }
    for (const { file, route, last } of this.again) {
      if (last) this.finish(file, { outcome: 'refused', ...(route ? { via: route } : {}), code: last.code, reason: `${last.reason} (in each of ${this.options.rounds ?? 3} rounds)` });
      else this.finish(file, { outcome: 'not-sent', reason: 'no round could store it' });
    }
  }

  /** The files of a study the archive does not hold with the same bytes; the others are counted as present. */
  private async notHeld(study: string, files: DicomFile[]): Promise<DicomFile[]> {
    if (this.options.resume === false || !study || this.fatal) return files;
    let held: Map<string, string | undefined>;
    try {
      held = await storedInstances(study, this.connection);
    } catch (error) {
      this.options.log?.(`could not ask the archive what it holds of a study (${networkErrorText(error)}); sending its ${files.length} file(s)`);
      return files;
    }
    const toSend: DicomFile[] = [];
    for (const file of files) {
      const sha = file.sop ? held.get(file.sop) : undefined;
      if (sha && sha === (await sha256Of(file.path))) this.finish(file, { outcome: 'present' });
      else toSend.push(file);
    }
    return toSend;
  }

  private *requestsOf(items: Item[]): Generator<Request> {
    const limit = this.options.apiBodyBytes ?? API_BODY_BYTES;
    const batchFiles = this.options.batchFiles ?? 20;
    let batch: DicomFile[] = [];
    let bytes = 0;
    for (const { file, route = routeOf(file.size, this.options), alone } of items) {
      if (route !== 'api' || alone) {
        yield { route, files: [file] };
        continue;
      }
      if (batch.length && (batch.length >= batchFiles || bytes + file.size + PART_OVERHEAD > limit)) {
        yield { route: 'api', files: batch };
        batch = [];
        bytes = 0;
      }
      batch.push(file);
      bytes += file.size + PART_OVERHEAD;
    }
    if (batch.length) yield { route: 'api', files: batch };
  }

  private async send(request: Request): Promise<void> {
    try {
      await this.exchange(request);
    } catch (error) {
      // A file that vanished or cannot be read mid-push, or an answer that cannot be read.
      for (const file of request.files) this.finish(file, { outcome: 'not-sent', via: request.route, reason: networkErrorText(error) });
    }
  }

  private async exchange(request: Request): Promise<void> {
    const { files, route } = request;
    if (this.fatal) {
      for (const file of files) this.finish(file, { outcome: 'not-sent', via: route, reason: this.fatal });
      return;
    }
    if (route === 'presigned') return this.presigned(files[0]!);
    const base = route === 'data-plane' ? this.options.dataUrl! : this.options.url;
    const boundary = boundaryOf();
    const headers: Record<string, string> = { 'Content-Type': multipartType(boundary), Accept: 'application/dicom+json', Authorization: `Bearer ${this.options.token}` };
    const attempt = await withRetries(
      async () => {
        if (route === 'api') return fetch(`${base}/studies`, { method: 'POST', headers, body: await bufferedBody(files, boundary) });
        return fetch(`${base}/studies`, { method: 'POST', headers: { ...headers, 'Content-Length': String(streamedLength(files, boundary)) }, body: ReadableStream.from(streamedBody(files, boundary)), duplex: 'half' } as RequestInit);
      },
      this.connection.retry,
      (why, delay) => this.options.log?.(`${route}: ${why}; retrying ${files.length} file(s) in ${(delay / 1000).toFixed(1)} s`),
    );
    if ('error' in attempt) {
      for (const file of files) this.finish(file, { outcome: 'not-sent', via: route, reason: `no answer after ${attempt.attempts} attempts (${networkErrorText(attempt.error)})` });
      this.options.onEvent?.(`no answer for ${files.length} file(s)`);
      return;
    }
    const { response } = attempt;
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!isStoreResponse(body)) {
      const answer = `${response.status} ${text.replace(/\s+/g, ' ').slice(0, 200)}`;
      if (response.status === 413 && route === 'api') {
        for (const file of files) this.again.push({ file, route: this.options.dataUrl ? 'data-plane' : 'presigned' });
        return;
      }
      if (response.status === 401 || response.status === 403) {
        this.fatal = `the archive refused the token: ${answer}`;
        this.options.log?.(this.fatal);
      }
      for (const file of files) this.finish(file, { outcome: 'not-sent', via: route, reason: this.fatal ?? answer });
      this.options.onEvent?.(`${response.status} for ${files.length} file(s), not stored`);
      return;
    }
    const outcomes = outcomesOf(files, body, response.headers.get('warning'));
    files.forEach((file, index) => this.settle(file, outcomes[index]!, route));
    this.options.onEvent?.(`${response.status} ${files.length} file(s) via ${route}`);
  }

  /** One file straight to S3; its outcome read from the upload's report as from a STOW response. */
  private async presigned(file: DicomFile): Promise<void> {
    const outcome = await pushPresigned({ path: file.path, size: file.size, sha256: await sha256Of(file.path) }, this.connection, {
      partConcurrency: this.options.partConcurrency ?? 4,
      ...(this.options.log ? { log: this.options.log } : {}),
    });
    this.settle(file, outcome, 'presigned', outcome.upload);
    this.options.onEvent?.(`${outcome.kind} 1 file via presigned upload ${outcome.upload}`);
  }

  private settle(file: DicomFile, outcome: FileOutcome, route: Route, upload?: string): void {
    if (outcome.kind === 'ambiguous') {
      this.again.push({ file, route, alone: true });
      return;
    }
    const carried = upload === undefined ? {} : { upload };
    if (outcome.kind === 'stored') {
      this.finish(file, { outcome: 'stored', via: route, ...carried, ...(outcome.warnings.length ? { warnings: outcome.warnings.map((w) => `${reasonName(w.code)}: ${w.message}`) } : {}) });
      return;
    }
    if (isTransientFailure(outcome.code) && !this.again.some((item) => item.file === file)) {
      this.again.push({ file, route, last: { code: outcome.code, reason: outcome.reason } });
      return;
    }
    this.finish(file, { outcome: 'refused', via: route, ...carried, code: outcome.code, reason: outcome.reason });
  }

  /** Records a file's final outcome. */
  private finish(file: DicomFile, result: Omit<FileReport, 'path' | 'study' | 'sop' | 'size'>): void {
    const { tally } = this;
    tally.doneFiles++;
    tally.doneBytes += file.size;
    switch (result.outcome) {
      case 'stored':
        tally.stored++;
        if (result.warnings?.length) {
          tally.storedWithWarnings++;
          for (const warning of result.warnings) Tally.add(tally.warnings, groupKey(warning), file.path);
        }
        break;
      case 'present':
        tally.present++;
        break;
      case 'refused':
        Tally.add(tally.refused, `${reasonName(result.code)}: ${groupKey(result.reason ?? '')}`, file.path);
        this.options.log?.(`refused ${file.path}${result.upload ? ` (upload ${result.upload})` : ''}: ${result.reason}`);
        break;
      case 'not-sent':
        Tally.add(tally.notSent, groupKey(result.reason ?? ''), file.path);
    }
    if (result.upload) tally.uploads.push({ id: result.upload, path: file.path, outcome: result.outcome });
    this.options.onFile?.({ path: file.path, study: file.study, sop: file.sop, size: file.size, ...result });
  }
}

/** Files by study, in the order first seen; files whose header could not be read last (the archive says why). */
function byStudy(files: DicomFile[]): Map<string, DicomFile[]> {
  const groups = new Map<string, DicomFile[]>();
  for (const file of [...files.filter((f) => f.study), ...files.filter((f) => !f.study)]) {
    const key = file.study ?? '';
    const group = groups.get(key);
    if (group) group.push(file);
    else groups.set(key, [file]);
  }
  return groups;
}

/** At most `size` tasks at once. Tasks must not reject (`send` records its failures). */
class Pool {
  private readonly active = new Set<Promise<void>>();
  constructor(private readonly size: number) {}

  async submit(task: () => Promise<void>): Promise<void> {
    while (this.active.size >= this.size) await Promise.race(this.active);
    const running: Promise<void> = task().finally(() => this.active.delete(running));
    this.active.add(running);
  }

  async drain(): Promise<void> {
    while (this.active.size) await Promise.race(this.active);
  }
}
