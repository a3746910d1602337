import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '#core/errors.ts';
import { encodeMultipart } from '#core/dicomweb/multipart.ts';
import { collectMultipart, readMultipart } from '#core/dicomweb/multipart-stream.ts';

const splitMultipart = collectMultipart;

/** The parts read from `body` delivered in chunks of the given sizes (cycled). */
async function splitChunked(body: Buffer, boundary: string, sizes: number[]) {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < body.length; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push(body.subarray(at, at + size));
    at += size;
  }
  async function* source() {
    yield* chunks;
  }
  const parts = [];
  for await (const part of readMultipart(source(), boundary)) {
    const pieces: Buffer[] = [];
    for await (const piece of part.body) pieces.push(piece);
    parts.push({ headers: part.headers, body: Buffer.concat(pieces) });
  }
  return parts;
}

const dicomLike = (n: number) => Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from(`payload-${n}\r\n--not-a-boundary\r\n`)]);

describe('multipart/related splitting (STOW-RS request bodies)', () => {
  it('splits parts with headers, ignoring a preamble and an epilogue', async () => {
    const body = Buffer.concat([
      Buffer.from('preamble text\r\n--B\r\nContent-Type: application/dicom\r\n\r\n'),
      dicomLike(1),
      Buffer.from('\r\n--B\r\ncontent-type: application/dicom\r\nX-Extra: 1\r\n\r\n'),
      dicomLike(2),
      Buffer.from('\r\n--B--\r\nepilogue'),
    ]);
    const parts = await splitMultipart(body, 'B');
    expect(parts.map((p) => p.body)).toEqual([dicomLike(1), dicomLike(2)]);
    expect(parts[1]!.headers).toEqual({ 'content-type': 'application/dicom', 'x-extra': '1' });
  });

  it('accepts parts without headers and a close delimiter without a trailing CRLF', async () => {
    const body = Buffer.concat([Buffer.from('--B\r\n\r\n'), dicomLike(1), Buffer.from('\r\n--B--')]);
    expect(await splitMultipart(body, 'B')).toEqual([{ headers: {}, body: dicomLike(1) }]);
  });

  it('refuses a body without the boundary, without a closing boundary, or without a boundary parameter', async () => {
    await expect(splitMultipart(Buffer.from('no parts here'), 'B')).rejects.toThrow(BadRequestError);
    await expect(splitMultipart(Buffer.from('--B\r\n\r\nabc'), 'B')).rejects.toThrow(/closing boundary/);
    await expect(splitMultipart(Buffer.from('--B\r\n\r\nabc\r\n--B--'), '')).rejects.toThrow(/boundary/);
  });

  it('round-trips any parts through encodeMultipart and the reader, however the body is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
        async (bodies, sizes) => {
          const boundary = 'strata-test-0f1e2d';
          const parts = bodies.map((b) => ({ headers: { 'content-type': 'application/dicom' }, body: Buffer.from(b) }));
          const encoded = encodeMultipart(boundary, parts);
          const whole = await splitMultipart(encoded, boundary);
          const chunked = await splitChunked(encoded, boundary, sizes);
          expect(whole.map((p) => p.body.toString('hex'))).toEqual(parts.map((p) => p.body.toString('hex')));
          expect(chunked).toEqual(whole);
        },
      ),
    );
  });

  it('answers any byte string with parts or a BadRequestError, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        try {
          await splitMultipart(Buffer.from(bytes), 'B');
        } catch (error) {
          expect(error).toBeInstanceOf(BadRequestError);
        }
      }),
    );
  });
});
