/**
 * Frames of a stored instance (PS3.18 10.4.1.1.3, PS3.5 A.4): native frames are fixed-size
 * slices of Pixel Data; encapsulated frames are found from the Basic Offset Table, else one
 * fragment per frame, else all fragments for a single frame.
 */
import { NotAcceptableError } from '#core/errors.ts';
import type { PixelFormat } from '#core/dicom/pixel-format.ts';
import type { Fragment, PixelDataLocation } from './part10-structure.ts';

export function frameSize(format: PixelFormat): number {
  return Math.ceil((format.rows * format.columns * format.samplesPerPixel * format.bitsAllocated) / 8);
}

/**
 * How many frames the Pixel Data can actually hold. NumberOfFrames, Rows and Columns are
 * attributes anyone can write; nothing is sized from them beyond what the stored bytes allow
 * (a native frame needs frameSize bytes, an encapsulated one at least one fragment).
 */
export function framesHeld(pixel: PixelDataLocation, format: PixelFormat, declared: number): number {
  const wanted = Number.isSafeInteger(declared) && declared > 0 ? declared : 1;
  if (pixel.encapsulated) return Math.min(wanted, Math.max(pixel.fragments?.length ?? 0, 0));
  const size = frameSize(format);
  return size > 0 && Number.isFinite(size) ? Math.min(wanted, Math.floor(pixel.length / size)) : 0;
}

/** Why the pixel attributes and the Pixel Data disagree, or `undefined` when they agree. */
export function pixelGeometryProblem(pixel: PixelDataLocation, format: PixelFormat, declared: number): string | undefined {
  if (!Number.isSafeInteger(declared) || declared < 1) return `NumberOfFrames is ${declared}, not a positive number; frames are served as the Pixel Data holds them`;
  const zero = (['rows', 'columns', 'samplesPerPixel', 'bitsAllocated'] as const).filter((name) => !(format[name] > 0));
  if (zero.length && !pixel.encapsulated) return `${zero.join(', ')} ${zero.length > 1 ? 'are' : 'is'} not positive, so the native Pixel Data cannot be cut into frames`;
  // Fragments not read (an upload indexed from its header, docs/ingest.md): nothing to compare yet;
  // the frames are cut, and bounded, from the stored bytes when they are asked for.
  if (pixel.encapsulated && pixel.fragments === undefined) return undefined;
  const held = framesHeld(pixel, format, declared);
  if (held >= declared) return undefined;
  const what = pixel.encapsulated
    ? `${pixel.fragments?.length ?? 0} fragments`
    : `${pixel.length} bytes, ${format.rows}×${format.columns}×${format.samplesPerPixel}×${format.bitsAllocated} bits a frame`;
  return `NumberOfFrames is ${declared} but its Pixel Data holds ${held} (${what}); only those frames can be retrieved`;
}

/**
 * The most pixel bytes the archive decodes for one response. Past it a client asks for the
 * stored encoding (transfer-syntax=*), which costs the archive no memory.
 */
export const MAX_DECODED_BYTES = 512 * 1024 * 1024;

/** Whether decoding `frames` frames of `format` stays within MAX_DECODED_BYTES. */
export const isDecodable = (format: PixelFormat, frames: number): boolean => frameSize(format) * frames <= MAX_DECODED_BYTES;

export function assertDecodable(format: PixelFormat, frames: number): void {
  if (!isDecodable(format, frames)) {
    const bytes = frameSize(format) * frames;
    throw new NotAcceptableError(`decoding this object would produce ${bytes} bytes (more than ${MAX_DECODED_BYTES}); request transfer-syntax=* to receive it as stored`);
  }
}

export function encapsulatedFrames(bytes: Buffer, pixel: PixelDataLocation, numberOfFrames: number): Buffer[] {
  return frameFragments(offsetTableOf(bytes, pixel), pixel, Math.min(numberOfFrames, pixel.fragments?.length ?? 0)).map((parts) => Buffer.concat(parts.map((f) => bytes.subarray(f.offset, f.offset + f.length))));
}

/**
 * The Basic Offset Table's value (the first item of encapsulated Pixel Data), the only bytes
 * besides the fragment positions that cutting frames needs; a streamed ingest keeps just these.
 */
export function offsetTableOf(bytes: Buffer, pixel: PixelDataLocation): Buffer | undefined {
  const table = pixel.offsetTable;
  return table ? bytes.subarray(table.offset, table.offset + table.length) : undefined;
}

/** The fragments of each frame: by the Basic Offset Table, else one per frame, else all for one frame. */
function frameFragments(offsetTable: Buffer | undefined, pixel: PixelDataLocation, numberOfFrames: number): Fragment[][] {
  const fragments = pixel.fragments ?? [];
  if (offsetTable && offsetTable.length >= 4 * numberOfFrames && fragments.length > 0) {
    const firstItem = fragments[0]!.offset - 8;
    const starts = Array.from({ length: numberOfFrames }, (_, i) => offsetTable.readUInt32LE(4 * i));
    return starts.map((start, i) => {
      const end = starts[i + 1] ?? Number.MAX_SAFE_INTEGER;
      return fragments.filter((f) => f.offset - 8 - firstItem >= start && f.offset - 8 - firstItem < end);
    });
  }
  if (fragments.length === numberOfFrames) return fragments.map((f) => [f]);
  if (numberOfFrames === 1) return [fragments];
  throw new NotAcceptableError('the frames of this object cannot be told apart (no Basic Offset Table); retrieve the instance instead');
}

/** [offset, length] in the file of each piece of a frame. */
export type ByteRange = [number, number];

/**
 * Where each frame's bytes lie in the stored file, recorded at ingest so that a frame request
 * is one ranged read: one range for a native frame, one per fragment for an encapsulated one.
 */
export function frameRanges(offsetTable: Buffer | undefined, pixel: PixelDataLocation, format: PixelFormat, numberOfFrames: number): ByteRange[][] {
  if (!pixel.encapsulated) {
    const size = frameSize(format);
    return Array.from({ length: framesHeld(pixel, format, numberOfFrames) }, (_, i) => [[pixel.offset + i * size, size]]);
  }
  return frameFragments(offsetTable, pixel, framesHeld(pixel, format, numberOfFrames)).map((parts) => parts.map((f): ByteRange => [f.offset, f.length]));
}

/** Reassembles a frame from one read spanning all its pieces (item headers between them are skipped). */
export function frameFromSpan(span: Buffer, ranges: ByteRange[]): Buffer {
  const start = ranges[0]![0];
  return Buffer.concat(ranges.map(([offset, length]) => span.subarray(offset - start, offset - start + length)));
}

