/** DICOM test data: the fixture files (test/fixtures/dicom, see its README) and STOW-RS request bodies. */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'dicom');

export const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));
export const fixtureNames = (): string[] => readdirSync(FIXTURES).filter((name) => name.endsWith('.dcm')).sort();
export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export interface StowBody {
  body: Buffer;
  contentType: string;
}

/** A multipart/related STOW-RS body with one part per file. */
export function stowBody(files: Buffer[], boundary = 'strata-test-boundary'): StowBody {
  const chunks: Buffer[] = [];
  for (const file of files) chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), file, Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

/** `headers`: extra request headers (an Authorization other than the test runtime's default). */
export async function stow(
  baseUrl: string,
  files: Buffer[],
  path = '/dicom-web/studies',
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, { Value?: unknown[] }>; headers: Headers }> {
  const { body, contentType } = stowBody(files);
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', body, headers: { 'Content-Type': contentType, Accept: 'application/dicom+json', ...headers } });
  return { status: response.status, json: (await response.json()) as Record<string, { Value?: unknown[] }>, headers: response.headers };
}

/** Splits a multipart/related response into its parts' bodies (test-side reader, independent of the server's). */
export function multipartBodies(body: Buffer, contentType: string): { headers: string; body: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const parts: { headers: string; body: Buffer }[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let position = body.indexOf(delimiter);
  while (position >= 0) {
    const start = position + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const headerEnd = body.indexOf('\r\n\r\n', start);
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd);
    parts.push({ headers: body.subarray(start + 2, headerEnd).toString(), body: body.subarray(headerEnd + 4, next) });
    position = next + 2;
  }
  return parts;
}

export const CT_SMALL = {
  file: 'CT_small.dcm',
  study: '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322',
  series: '1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322',
  sop: '1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322',
};

/** Broken inputs (test/fixtures/dicom/README.md) and the failure reason each must get. */
export const BROKEN: Record<string, number> = {
  'ExplVR_BigEndNoMeta.dcm': 0xc000, // no Part 10 header
  'ExplVR_LitEndNoMeta.dcm': 0xc000,
  'no_meta.dcm': 0xc000,
  'rtstruct.dcm': 0xc000,
  'SC_rgb_jpeg.dcm': 0xc000,
  'MR_truncated.dcm': 0xc000, // truncated pixel data
  'rtplan_truncated.dcm': 0xc000,
  'meta_missing_tsyntax.dcm': 0xc000, // no transfer syntax
  'priv_SQ.dcm': 0xa900, // dataset fragments without SOP Class / Instance UIDs
  'nested_priv_SQ.dcm': 0xa900,
  'empty_charset_LEI.dcm': 0xa900,
  'no_meta_group_length.dcm': 0xa900,
  'UN_sequence.dcm': 0xa900,
  // No SOP Class/Instance UID in the dataset (the file meta has them) and no Study/Series UID,
  // which have no fallback.
  'charset_chrSQEncoding.dcm': 0xa900,
  'charset_chrSQEncoding1.dcm': 0xa900,
};
