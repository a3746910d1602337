/**
 * RLE Lossless decoding (PS3.5 Annex G): a frame is a 64-byte header (segment count and
 * offsets) and one PackBits-compressed segment per byte plane, most significant byte first.
 * The result is native pixel data, samples interleaved, little endian.
 */
import { DicomParseError } from '#core/errors.ts';
import type { PixelFormat } from '#core/dicom/pixel-format.ts';

export function decodeRleFrame(frame: Buffer, format: PixelFormat): Buffer {
  const pixels = format.rows * format.columns;
  const bytesPerSample = format.bitsAllocated / 8;
  const segments = frame.readUInt32LE(0);
  if (segments !== format.samplesPerPixel * bytesPerSample) {
    throw new DicomParseError(`RLE frame has ${segments} segments; ${format.samplesPerPixel * bytesPerSample} expected`);
  }
  const offsets = Array.from({ length: segments }, (_, i) => frame.readUInt32LE(4 + i * 4));
  const out = Buffer.alloc(pixels * format.samplesPerPixel * bytesPerSample);
  for (let segment = 0; segment < segments; segment++) {
    const plane = unpackBits(frame.subarray(offsets[segment]!, offsets[segment + 1] ?? frame.length), pixels);
    const sample = Math.floor(segment / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (segment % bytesPerSample); // MSB segment → highest LE byte
    for (let p = 0; p < pixels; p++) out[(p * format.samplesPerPixel + sample) * bytesPerSample + byteInSample] = plane[p]!;
  }
  return out;
}

function unpackBits(data: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  let read = 0;
  let written = 0;
  while (written < length && read < data.length) {
    const n = (data[read++]! << 24) >> 24; // signed byte
    if (n >= 0) {
      const count = Math.min(n + 1, length - written);
      data.copy(out, written, read, read + count);
      read += n + 1;
      written += count;
    } else if (n !== -128) {
      const count = Math.min(1 - n, length - written);
      out.fill(data[read++]!, written, written + count);
      written += count;
    }
  }
  return out;
}
