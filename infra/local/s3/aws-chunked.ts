/**
 * Decoder for the `aws-chunked` content encoding that AWS SDK v3 uses for streamed uploads
 * with flexible checksums. s3rver does not understand it and would store the chunk framing as
 * data (a silent corruption, infra/local/README.md), so the fidelity proxy decodes it and
 * verifies the trailing checksum, as S3 does, before s3rver sees the body.
 *
 * Format: `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n` … `0[;…]\r\n<trailer>:<value>\r\n…\r\n`.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

export interface DecodedChunkedBody {
  body: Buffer;
  trailers: Record<string, string>;
}

export class ChunkedEncodingError extends Error {}

export function decodeAwsChunked(encoded: Buffer): DecodedChunkedBody {
  const parts: Buffer[] = [];
  let position = 0;
  const readLine = (): string => {
    const end = encoded.indexOf('\r\n', position);
    if (end < 0) throw new ChunkedEncodingError('aws-chunked body ends inside a chunk header');
    const line = encoded.toString('latin1', position, end);
    position = end + 2;
    return line;
  };
  for (;;) {
    const sizeField = readLine().split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeField)) throw new ChunkedEncodingError(`bad aws-chunked size "${sizeField}"`);
    const size = parseInt(sizeField, 16);
    if (size === 0) break;
    if (position + size > encoded.length) throw new ChunkedEncodingError('aws-chunked body is truncated');
    parts.push(encoded.subarray(position, position + size));
    position += size;
    if (encoded.toString('latin1', position, position + 2) !== '\r\n') {
      throw new ChunkedEncodingError('aws-chunked chunk is not followed by CRLF');
    }
    position += 2;
  }
  const trailers: Record<string, string> = {};
  while (position < encoded.length) {
    const line = readLine();
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { body: Buffer.concat(parts), trailers };
}

const crc32cTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32c(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = crc32cTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const uint32Base64 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer.toString('base64');
};

/** The base64 checksum S3 would compute for `algorithm` (header suffix: sha256, crc32, …). */
export function checksumOf(algorithm: string, body: Buffer): string | undefined {
  switch (algorithm) {
    case 'sha256':
    case 'sha1':
      return createHash(algorithm).update(body).digest('base64');
    case 'crc32':
      return uint32Base64(crc32(body));
    case 'crc32c':
      return uint32Base64(crc32c(body));
    default:
      return undefined; // crc64nvme: accepted without verification (infra/local/README.md)
  }
}

/**
 * Every `x-amz-checksum-*` value in `values` that disagrees with the body, by algorithm.
 * `known`: checksums of this body already computed (the proxy's SHA-256, so no byte is hashed twice).
 */
export function checksumMismatches(values: Record<string, string | undefined>, body: Buffer, known: Record<string, string> = {}): string[] {
  const mismatched: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    const algorithm = /^x-amz-checksum-([a-z0-9]+)$/.exec(name)?.[1];
    if (!algorithm || algorithm === 'mode' || algorithm === 'type' || value === undefined) continue;
    const expected = known[algorithm] ?? checksumOf(algorithm, body);
    if (expected !== undefined && expected !== value) mismatched.push(algorithm);
  }
  return mismatched;
}
