/**
 * multipart/related bodies (RFC 2387, PS3.18 8.6.1.2): framing WADO-RS responses. STOW-RS
 * requests are read by multipart-stream.ts, whether they arrive whole or as a stream.
 */
import { randomUUID } from 'node:crypto';

export interface Part {
  headers: Record<string, string>; // lower-case names
  body: Buffer;
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
