/**
 * Finds the DICOM files to push: walks folders (a DICOMDIR's folder is walked like any other;
 * the DICOMDIR itself indexes files, it is not an instance), reads each file's header — only
 * its first bytes — for the study and SOP Instance UIDs, and sets aside what is not DICOM
 * with the reason, for the summary.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { readPart10Head, readPart10Structure } from '#core/dicom/part10-structure.ts';
import { Tag } from '#core/dicom/tags.ts';

export interface DicomFile {
  path: string;
  size: number;
  /** From the header; undefined when the header cannot be read (the archive then says why it refuses the file). */
  study: string | undefined;
  sop: string | undefined;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface ScanResult {
  files: DicomFile[];
  skipped: SkippedFile[];
}

const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';
/** Most headers end within this; a longer one is read again with HEAD_MAX_BYTES. */
const HEAD_BYTES = 256 * 1024;
const HEAD_MAX_BYTES = 32 * 1024 * 1024;

export async function scan(paths: readonly string[]): Promise<ScanResult> {
  const result: ScanResult = { files: [], skipped: [] };
  const seen = new Set<string>();
  for (const path of paths) {
    // A DICOMDIR named on the command line stands for the folder it indexes.
    const start = basename(path).toUpperCase() === 'DICOMDIR' ? dirname(path) : path;
    for await (const file of walk(start)) {
      if (seen.has(file)) continue;
      seen.add(file);
      const found = await examine(file);
      if ('reason' in found) result.skipped.push(found);
      else result.files.push(found);
    }
  }
  return result;
}

async function* walk(path: string): AsyncGenerator<string> {
  if (!(await stat(path)).isDirectory()) {
    yield path;
    return;
  }
  for (const entry of (await readdir(path)).sort()) yield* walk(join(path, entry));
}

/** A file's identity from its header, or why it is not pushed. */
export async function examine(path: string): Promise<DicomFile | SkippedFile> {
  const { size } = await stat(path);
  let head = await readHead(path, Math.min(size, HEAD_BYTES));
  if (head.length < 132 || head.toString('latin1', 128, 132) !== 'DICM') {
    return { path, reason: size === 0 ? 'empty file' : 'not DICOM (no "DICM" after the 128-byte preamble)' };
  }
  let structure: ReturnType<typeof readPart10Head>['structure'] | undefined;
  try {
    structure = readPart10Head(head).structure;
  } catch {
    if (size > head.length) {
      head = await readHead(path, Math.min(size, HEAD_MAX_BYTES));
      structure = tryHead(head);
    } else structure = tryWhole(head); // a deflated file is read whole
  }
  if (structure?.meta[Tag.MediaStorageSOPClassUID] === MEDIA_STORAGE_DIRECTORY) return { path, reason: 'DICOMDIR (an index of files, not an instance)' };
  const ids = structure?.identifiers ?? {};
  return { path, size, study: ids[Tag.StudyInstanceUID] || undefined, sop: ids[Tag.SOPInstanceUID] || structure?.meta[Tag.MediaStorageSOPInstanceUID] || undefined };
}

function tryHead(head: Buffer) {
  try {
    return readPart10Head(head).structure;
  } catch {
    return undefined; // sent as it is: the archive names what is wrong with it
  }
}

function tryWhole(bytes: Buffer) {
  try {
    return readPart10Structure(bytes);
  } catch {
    return undefined;
  }
}

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
