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

  it('names what is wrong with a malformed body', () => {
    const refusal = (text: string) => {
      try {
        decodeAwsChunked(Buffer.from(text, 'latin1'));
      } catch (error) {
        expect(error).toBeInstanceOf(ChunkedEncodingError);
        return (error as Error).message;
      }
      return 'decoded';
    };
    expect(refusal('5')).toBe('aws-chunked body ends inside a chunk header');
    expect(refusal('\r\nhello')).toBe('bad aws-chunked size ""');
    expect(refusal('5z\r\nhello\r\n0\r\n\r\n')).toBe('bad aws-chunked size "5z"');
    expect(refusal('z5\r\nhello\r\n0\r\n\r\n')).toBe('bad aws-chunked size "z5"');
    expect(refusal('zz\r\nhello\r\n0\r\n\r\n')).toBe('bad aws-chunked size "zz"');
    expect(refusal('a\r\nshort')).toBe('aws-chunked body is truncated');
    // A chunk that ends exactly at the end of the buffer is complete; its CRLF is what is missing.
    expect(refusal('5\r\nhello')).toBe('aws-chunked chunk is not followed by CRLF');
    expect(refusal('5\r\nhelloXX0\r\n\r\n')).toBe('aws-chunked chunk is not followed by CRLF');
  });

  it('reads multi-digit hex sizes and space before a chunk signature', () => {
    const body = Buffer.alloc(0x1a4, 7);
    expect(decodeAwsChunked(Buffer.concat([Buffer.from('1A4 ;chunk-signature=x\r\n'), body, Buffer.from('\r\n0\r\n\r\n')])).body.equals(body)).toBe(true);
  });

  it('parses trailers by name, case-insensitively, and ignores lines that are not trailers or come after the end', () => {
    const decoded = decodeAwsChunked(Buffer.from('5\r\nhello\r\n0\r\nX-Amz-Checksum-CRC32 : abc= \r\n:nameless\r\ngarbage\r\n\r\nx-amz-late:1\r\n'));
    expect(decoded.body.toString()).toBe('hello');
    expect(decoded.trailers).toEqual({ 'x-amz-checksum-crc32': 'abc=' });
    // The final empty line may be missing.
    expect(decodeAwsChunked(Buffer.from('5\r\nhello\r\n0\r\n'))).toEqual({ body: Buffer.from('hello'), trailers: {} });
  });

  it('computes each checksum S3 offers as S3 does (check values of "123456789"), and none for CRC64NVME', () => {
    const check = Buffer.from('123456789');
    expect(checksumOf('sha256', check)).toBe(Buffer.from('15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225', 'hex').toString('base64'));
    expect(checksumOf('sha1', check)).toBe(Buffer.from('f7c3bc1d808e04732adf679965ccc34ca7ae3441', 'hex').toString('base64'));
    expect(Buffer.from(checksumOf('crc32', check)!, 'base64').readUInt32BE()).toBe(0xcbf43926);
    expect(checksumOf('crc64nvme', check)).toBeUndefined();
  });

  it('checks only x-amz-checksum-<algorithm> values it can compute, and reports each mismatch', () => {
    const body = Buffer.from('the bytes');
    const crc32 = checksumOf('crc32', body)!;
    const wrong = checksumOf('crc32', Buffer.from('other'))!;
    expect(checksumMismatches({ 'x-amz-checksum-crc32': crc32, 'x-amz-checksum-sha256': checksumOf('sha256', body) }, body)).toEqual([]);
    expect(checksumMismatches({ 'x-amz-checksum-crc32': wrong, 'x-amz-checksum-sha1': 'AAAA' }, body)).toEqual(['crc32', 'sha1']);
    expect(
      checksumMismatches(
        {
          'x-amz-checksum-mode': 'ENABLED',
          'x-amz-checksum-type': 'FULL_OBJECT',
          'x-amz-checksum-crc64nvme': 'AAAAAAAAAAA=',
          'x-amz-checksum-crc32c': undefined,
          'x-amz-checksum-crc32-extra': wrong,
          'not-x-amz-checksum-crc32': wrong,
          'content-md5': 'AAAA',
        },
        body,
      ),
    ).toEqual([]);
  });
});
