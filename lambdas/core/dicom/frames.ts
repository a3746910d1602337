/**
 * Frames of a stored instance (PS3.18 10.4.1.1.3, PS3.5 A.4): native frames are fixed-size
 * slices of Pixel Data; encapsulated frames are found from the Basic Offset Table, else one
 * fragment per frame, else all fragments for a single frame.
 */
import { NotAcceptableError } from '../errors.ts';
import type { PixelFormat } from '../codecs/rle.ts';
import type { PixelDataLocation } from './part10-structure.ts';

export function frameSize(format: PixelFormat): number {
  return Math.ceil((format.rows * format.columns * format.samplesPerPixel * format.bitsAllocated) / 8);
}

export function nativeFrame(bytes: Buffer, pixel: PixelDataLocation, format: PixelFormat, index: number): Buffer {
  const size = frameSize(format);
  return bytes.subarray(pixel.offset + index * size, pixel.offset + (index + 1) * size);
}

export function encapsulatedFrames(bytes: Buffer, pixel: PixelDataLocation, numberOfFrames: number): Buffer[] {
  const fragments = pixel.fragments ?? [];
  const table = pixel.offsetTable;
  if (table && table.length >= 4 * numberOfFrames && fragments.length > 0) {
    const firstItem = fragments[0]!.offset - 8;
    const starts = Array.from({ length: numberOfFrames }, (_, i) => bytes.readUInt32LE(table.offset + 4 * i));
    return starts.map((start, i) => {
      const end = starts[i + 1] ?? Number.MAX_SAFE_INTEGER;
      const parts = fragments.filter((f) => f.offset - 8 - firstItem >= start && f.offset - 8 - firstItem < end);
      return Buffer.concat(parts.map((f) => bytes.subarray(f.offset, f.offset + f.length)));
    });
  }
  if (fragments.length === numberOfFrames) return fragments.map((f) => bytes.subarray(f.offset, f.offset + f.length));
  if (numberOfFrames === 1) return [Buffer.concat(fragments.map((f) => bytes.subarray(f.offset, f.offset + f.length)))];
  throw new NotAcceptableError('the frames of this object cannot be told apart (no Basic Offset Table); retrieve the instance instead');
}
