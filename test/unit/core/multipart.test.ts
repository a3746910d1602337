import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '#core/errors.ts';
import { encodeMultipart, splitMultipart } from '#core/dicomweb/multipart.ts';

const dicomLike = (n: number) => Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from(`payload-${n}\r\n--not-a-boundary\r\n`)]);

describe('multipart/related splitting (STOW-RS request bodies)', () => {
  it('splits parts with headers, ignoring a preamble and an epilogue', () => {
    const body = Buffer.concat([
      Buffer.from('preamble text\r\n--B\r\nContent-Type: application/dicom\r\n\r\n'),
      dicomLike(1),
      Buffer.from('\r\n--B\r\ncontent-type: application/dicom\r\nX-Extra: 1\r\n\r\n'),
      dicomLike(2),
      Buffer.from('\r\n--B--\r\nepilogue'),
    ]);
    const parts = splitMultipart(body, 'B');
    expect(parts.map((p) => p.body)).toEqual([dicomLike(1), dicomLike(2)]);
    expect(parts[1]!.headers).toEqual({ 'content-type': 'application/dicom', 'x-extra': '1' });
  });

  it('accepts parts without headers and a close delimiter without a trailing CRLF', () => {
    const body = Buffer.concat([Buffer.from('--B\r\n\r\n'), dicomLike(1), Buffer.from('\r\n--B--')]);
    expect(splitMultipart(body, 'B')).toEqual([{ headers: {}, body: dicomLike(1) }]);
  });

  it('refuses a body without the boundary, without a closing boundary, or without a boundary parameter', () => {
    expect(() => splitMultipart(Buffer.from('no parts here'), 'B')).toThrow(BadRequestError);
    expect(() => splitMultipart(Buffer.from('--B\r\n\r\nabc'), 'B')).toThrow(/closing boundary/);
    expect(() => splitMultipart(Buffer.from('--B\r\n\r\nabc\r\n--B--'), '')).toThrow(/boundary/);
  });

  it('round-trips any parts through encodeMultipart and splitMultipart', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { minLength: 1, maxLength: 5 }), (bodies) => {
        const boundary = 'strata-test-0f1e2d';
        const parts = bodies.map((b) => ({ headers: { 'content-type': 'application/dicom' }, body: Buffer.from(b) }));
        const split = splitMultipart(encodeMultipart(boundary, parts), boundary);
        expect(split.map((p) => p.body.toString('hex'))).toEqual(parts.map((p) => p.body.toString('hex')));
      }),
    );
  });

  it('answers any byte string with parts or a BadRequestError, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          splitMultipart(Buffer.from(bytes), 'B');
        } catch (error) {
          expect(error).toBeInstanceOf(BadRequestError);
        }
      }),
    );
  });
});
