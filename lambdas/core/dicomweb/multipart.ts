/**
 * multipart/related bodies (RFC 2387, PS3.18 8.6.1.2): splitting STOW-RS requests into parts
 * and framing WADO-RS responses. Parts are split only on CRLF--boundary, a preamble and an
 * epilogue are ignored, part headers are optional and case-insensitive, and the final
 * boundary may or may not be followed by CRLF.
 */
import { randomUUID } from 'node:crypto';
import { BadRequestError } from '#core/errors.ts';

export interface Part {
  headers: Record<string, string>; // lower-case names
  body: Buffer;
}

export function splitMultipart(body: Buffer, boundary: string): Part[] {
  if (!boundary) throw new BadRequestError('multipart/related without a boundary parameter');
  const delimiter = Buffer.from(`--${boundary}`);
  // The first delimiter may open the body (no preamble) or follow a CRLF.
  let position = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : body.indexOf(Buffer.from(`\r\n--${boundary}`));
  if (position < 0) throw new BadRequestError('the body contains no multipart boundary');
  if (position > 0) position += 2;
  const parts: Part[] = [];
  const next = Buffer.from(`\r\n--${boundary}`);
  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString('latin1') === '--') return parts; // close delimiter
    const lineEnd = body.indexOf('\r\n', position);
    if (lineEnd < 0) throw new BadRequestError('multipart boundary line is not terminated by CRLF');
    const start = lineEnd + 2;
    const end = body.indexOf(next, start);
    if (end < 0) throw new BadRequestError('multipart body has no closing boundary');
    parts.push(readPart(body.subarray(start, end)));
    position = end + 2;
  }
}

function readPart(raw: Buffer): Part {
  const headers: Record<string, string> = {};
  // A part with no headers starts with the blank line; otherwise headers end at CRLFCRLF.
  if (raw.subarray(0, 2).toString('latin1') === '\r\n') return { headers, body: raw.subarray(2) };
  const headerEnd = raw.indexOf('\r\n\r\n');
  if (headerEnd < 0 || !/^[!-9;-~]+:/.test(raw.subarray(0, Math.min(raw.length, 100)).toString('latin1'))) {
    // No header block: the whole part is the body (some clients omit the blank line too).
    return { headers, body: raw };
  }
  for (const line of raw.subarray(0, headerEnd).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: raw.subarray(headerEnd + 4) };
}

export const newBoundary = () => `strata-${randomUUID()}`;

/** The bytes framing one part: opening delimiter and headers. */
export function partHeader(boundary: string, headers: Record<string, string>): Buffer {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return Buffer.from(`--${boundary}\r\n${lines.join('')}\r\n`, 'latin1');
}

export const partSeparator = Buffer.from('\r\n');
export const closeDelimiter = (boundary: string) => Buffer.from(`--${boundary}--\r\n`, 'latin1');

export function encodeMultipart(boundary: string, parts: Part[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) chunks.push(partHeader(boundary, part.headers), part.body, partSeparator);
  chunks.push(closeDelimiter(boundary));
  return Buffer.concat(chunks);
}
