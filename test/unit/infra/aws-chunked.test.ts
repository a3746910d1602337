import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checksumMismatches, checksumOf, ChunkedEncodingError, decodeAwsChunked } from '#infra/local/s3/aws-chunked.ts';

function encode(body: Buffer, chunkSize: number, trailers: Record<string, string> = {}): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunkSize) {
    const chunk = body.subarray(i, i + chunkSize);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n'));
  for (const [name, value] of Object.entries(trailers)) parts.push(Buffer.from(`${name}:${value}\r\n`));
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

describe('aws-chunked decoding', () => {
  it('recovers any body and its trailers, whatever the chunk size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 1, max: 700 }), (bytes, size) => {
        const body = Buffer.from(bytes);
        const checksum = createHash('sha256').update(body).digest('base64');
        const decoded = decodeAwsChunked(encode(body, size, { 'x-amz-checksum-sha256': checksum }));
        expect(decoded.body.equals(body)).toBe(true);
        expect(decoded.trailers['x-amz-checksum-sha256']).toBe(checksum);
        expect(checksumMismatches(decoded.trailers, body)).toEqual([]);
      }),
    );
  });

  it('ignores chunk signatures', () => {
    const encoded = Buffer.from('5;chunk-signature=abc\r\nhello\r\n0;chunk-signature=def\r\n\r\n');
    expect(decodeAwsChunked(encoded).body.toString()).toBe('hello');
  });

  it('refuses a truncated body or a bad size line', () => {
    expect(() => decodeAwsChunked(Buffer.from('a\r\nshort'))).toThrow(ChunkedEncodingError);
    expect(() => decodeAwsChunked(Buffer.from('zz\r\nhello\r\n0\r\n\r\n'))).toThrow(ChunkedEncodingError);
  });

  it('reports a trailing checksum that does not match the body', () => {
    const body = Buffer.from('the bytes');
    expect(checksumMismatches({ 'x-amz-checksum-crc32': checksumOf('crc32', Buffer.from('other'))! }, body)).toEqual(['crc32']);
    expect(checksumMismatches({ 'x-amz-checksum-crc32c': checksumOf('crc32c', body)! }, body)).toEqual([]);
  });

  it('computes CRC32C as S3 does (RFC 3720 check value)', () => {
    expect(Buffer.from(checksumOf('crc32c', Buffer.from('123456789'))!, 'base64').readUInt32BE()).toBe(0xe3069283);
  });
});
