/**
 * One STOW-RS request of a push (PS3.18 10.5): the multipart body of its files — held in memory
 * for the API's small requests, streamed from disk for the data plane — and what the Store
 * Instances Response says about each file.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import type { DicomFile } from './scan.ts';

export const boundaryOf = () => `strata-push-${randomUUID()}`;

const partHead = (boundary: string) => Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
const CRLF = Buffer.from('\r\n');
const close = (boundary: string) => Buffer.from(`--${boundary}--\r\n`);

/** The body of small files, in memory (API Gateway needs a Content-Length anyway). */
export async function bufferedBody(files: readonly DicomFile[], boundary: string): Promise<Buffer> {
  const parts = await Promise.all(files.map((file) => readFile(file.path)));
  return Buffer.concat([...parts.flatMap((bytes) => [partHead(boundary), bytes, CRLF]), close(boundary)]);
}

/** The body of large files, read from disk as it is sent (a new one per attempt). */
export async function* streamedBody(files: readonly DicomFile[], boundary: string): AsyncGenerator<Buffer> {
  for (const file of files) {
    yield partHead(boundary);
    for await (const chunk of createReadStream(file.path, { highWaterMark: 1024 * 1024 })) yield chunk as Buffer;
    yield CRLF;
  }
  yield close(boundary);
}

/** The exact length of `streamedBody` (a Content-Length spares the server a chunked body). */
export const streamedLength = (files: readonly DicomFile[], boundary: string) =>
  files.reduce((total, file) => total + partHead(boundary).length + file.size + CRLF.length, 0) + close(boundary).length;

export const multipartType = (boundary: string) => `multipart/related; type="application/dicom"; boundary=${boundary}`;

/** What the archive did with one file. */
export type FileOutcome =
  | { kind: 'stored'; warnings: { code: number | undefined; message: string }[] }
  | { kind: 'refused'; code: number; reason: string }
  /** Refused, but the response cannot say which of several files it was: send the file alone to know. */
  | { kind: 'ambiguous' };

interface ResponseItem {
  '00081150'?: { Value?: string[] };
  '00081155'?: { Value?: string[] };
  '00081196'?: { Value?: number[] };
  '00081197'?: { Value?: number[] };
}

/** Whether a JSON body is a Store Instances Response (not a gateway's error, a wrong URL's page…). */
export function isStoreResponse(body: unknown): body is Record<string, { Value?: ResponseItem[] }> {
  return typeof body === 'object' && body !== null && ('00081199' in body || '00081198' in body);
}

/**
 * Each file's outcome from a Store Instances Response and its Warning header. Items name their
 * SOP Instance UID; a part refused before its UID could be read names none, and its
 * `part N refused: …` explanation in the Warning header says which part it was.
 */
export function outcomesOf(files: readonly DicomFile[], body: Record<string, { Value?: ResponseItem[] }>, warningHeader: string | null): FileOutcome[] {
  const explanations = warningTexts(warningHeader);
  const refusalByPart = new Map<number, string>();
  const instanceWarnings = new Map<string, string[]>();
  for (const text of explanations) {
    const refused = /^part (\d+) refused: (.*)$/s.exec(text);
    if (refused) refusalByPart.set(Number(refused[1]) - 1, refused[2]!);
    const warned = /^instance ([0-9.]+): (.*)$/s.exec(text);
    if (warned) instanceWarnings.set(warned[1]!, [...(instanceWarnings.get(warned[1]!) ?? []), warned[2]!]);
  }
  const storedBySop = groupBySop(body['00081199']?.Value ?? []);
  const failed = body['00081198']?.Value ?? [];
  const failedBySop = groupBySop(failed.filter((item) => sopOf(item)));
  const unnamedFailures = failed.filter((item) => !sopOf(item));
  // Stored instances no file claims by UID belong to the files whose header the client could not read.
  const claimed = new Set(files.map((file) => file.sop));
  const unclaimedStored = (body['00081199']?.Value ?? []).filter((item) => !claimed.has(sopOf(item)));

  return files.map((file, index): FileOutcome => {
    const reason = refusalByPart.get(index);
    const sop = file.sop;
    const failure = sop ? failedBySop.get(sop)?.shift() : undefined;
    if (failure) return { kind: 'refused', code: codeOf(failure, '00081197') ?? 0, reason: reason ?? reasonName(codeOf(failure, '00081197')) };
    const stored = sop ? storedBySop.get(sop)?.[0] : files.length === 1 || !unnamedFailures.length ? unclaimedStored.shift() : undefined;
    if (stored && reason === undefined) {
      const code = codeOf(stored, '00081196');
      const messages = instanceWarnings.get(sopOf(stored)!) ?? [];
      const warnings = messages.length ? messages.map((message) => ({ code, message })) : code === undefined ? [] : [{ code, message: reasonName(code) }];
      return { kind: 'stored', warnings };
    }
    // A part refused before its SOP Instance UID was read names no UID: only a request of one file says which it was.
    if (files.length > 1) return { kind: 'ambiguous' };
    const unnamed = unnamedFailures.shift();
    const code = unnamed ? (codeOf(unnamed, '00081197') ?? 0) : 0x0110;
    return { kind: 'refused', code, reason: reason ?? (unnamed ? reasonName(code) : 'the response does not mention this file') };
  });
}

function groupBySop(items: ResponseItem[]): Map<string, ResponseItem[]> {
  const map = new Map<string, ResponseItem[]>();
  for (const item of items) map.set(sopOf(item)!, [...(map.get(sopOf(item)!) ?? []), item]);
  return map;
}

const sopOf = (item: ResponseItem) => item['00081155']?.Value?.[0] || undefined;
const codeOf = (item: ResponseItem, tag: '00081196' | '00081197') => {
  const value = item[tag]?.Value?.[0];
  return value === undefined ? undefined : Number(value);
};

/** The quoted texts of `299 <agent> "<text>"` warnings (RFC 7234 5.5). */
export function warningTexts(header: string | null): string[] {
  return [...(header ?? '').matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!.replace(/\\(.)/g, '$1'));
}

/** The Warning header and the failed items name a part's failure in the same order only for some failures, so a multi-file request's unnamed ones are sent again alone. */
const REASONS: Record<number, string> = {
  0x0110: 'processing failure',
  0x0122: 'SOP class not supported',
  0xa700: 'out of resources',
  0xa900: 'does not match its SOP class',
  0xa901: 'study UID differs from the URL',
  0xc000: 'cannot understand',
  0xc122: 'transfer syntax not supported',
  0xb006: 'elements discarded',
  0xb007: 'data set does not match its SOP class',
  0xb00e: 'a new version of an existing instance',
};

export const codeLabel = (code: number) => `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;
export const reasonName = (code: number | undefined) => (code === undefined ? 'warning' : `${codeLabel(code)} ${REASONS[code] ?? ''}`.trim());

/** Failures worth sending again: the archive was busy, or failed on its side. */
export const isTransientFailure = (code: number) => code === 0xa700 || code === 0x0110;
