/**
 * WADO-RS frames (PS3.18 10.4.1.1.3): `/frames/1,3` in the order asked. By default frames are
 * uncompressed (`application/octet-stream`), decoded when stored compressed; with
 * `transfer-syntax=*` (what OHIF asks for) or the stored compressed media type they are sent
 * as stored. Frame numbers are 1-based: a malformed list is 400, a number past the last
 * frame is 404.
 */
import type { DicomDataset } from 'dcmjs';
import dcmjs from '#core/dicom/dcmjs-configured.ts';
import { BadRequestError, NotAcceptableError, NotFoundError } from '#core/errors.ts';
import { decodeRleFrame } from '#core/codecs/rle.ts';
import type { PixelFormat } from '#core/dicom/pixel-format.ts';
import { decodeWithWasm } from '#core/codecs/wasm-codecs.ts';
import type { MediaRange } from '#core/dicomweb/accept.ts';
import { assertDecodable, frameFromSpan, frameRanges, offsetTableOf, type ByteRange } from '#core/dicom/frames.ts';
import { readPart10Structure } from '#core/dicom/part10-structure.ts';
import { TransferSyntax } from '#core/dicom/tags.ts';
import { NATIVE_SYNTAXES, framedFormat, toExplicitLittleEndian } from '#core/dicom/transcode.ts';

const FRAME_MEDIA_TYPES: Record<string, string> = {
  '1.2.840.10008.1.2.4.50': 'image/jpeg',
  '1.2.840.10008.1.2.4.51': 'image/jpeg',
  '1.2.840.10008.1.2.4.57': 'image/jpeg',
  '1.2.840.10008.1.2.4.70': 'image/jpeg',
  '1.2.840.10008.1.2.4.80': 'image/jls',
  '1.2.840.10008.1.2.4.81': 'image/jls',
  '1.2.840.10008.1.2.4.90': 'image/jp2',
  '1.2.840.10008.1.2.4.91': 'image/jp2',
  '1.2.840.10008.1.2.5': 'image/dicom-rle',
};

export function parseFrameList(text: string): number[] {
  if (!/^\s*\d+(\s*,\s*\d+)*\s*$/.test(text)) throw new BadRequestError(`"${text}" is not a list of frame numbers (e.g. 1,3,5)`);
  const frames = text.split(',').map((n) => Number(n.trim()));
  if (frames.some((n) => n < 1)) throw new BadRequestError('frame numbers start at 1');
  return frames;
}

export interface FramePart {
  contentType: string;
  body: Buffer;
}

type Wanted = { asStored: boolean };

/** What the client accepts for frames: uncompressed, or the stored encoding. */
function negotiate(ranges: MediaRange[], storedSyntax: string): Wanted {
  const storedType = FRAME_MEDIA_TYPES[storedSyntax];
  for (const range of ranges) {
    const type = range.type === 'multipart/related' ? (range.parameters.type ?? 'application/octet-stream').toLowerCase() : range.type;
    const syntax = range.parameters['transfer-syntax'];
    if (syntax === '*' || (storedType && type === storedType && (!syntax || syntax === storedSyntax))) return { asStored: true };
    if (type === 'application/octet-stream' || type === '*/*' || type === 'multipart/*') return { asStored: false };
  }
  throw new NotAcceptableError('frames are available as multipart/related; type="application/octet-stream", or as stored with transfer-syntax=*');
}

/** Where the frames of one instance come from: the whole object in memory, or ranged reads. */
export interface FrameSource {
  syntax: string;
  format: PixelFormat & { frames: number };
  frame(index: number): Promise<Buffer>;
  /** The attributes before Pixel Data (when the whole object was read). */
  attributes?: DicomDataset;
}

/** Frames from the whole object; big-endian and deflated pixels are re-encoded first when frames are to be uncompressed. */
export async function instanceFrameSource(instance: Buffer, accept: MediaRange[]): Promise<FrameSource> {
  let bytes = instance;
  let structure = readPart10Structure(bytes);
  if (!structure.pixelData) throw new NotFoundError('this instance has no pixel data');
  const reencode = structure.transferSyntaxUID === TransferSyntax.ExplicitVRBigEndian || structure.transferSyntaxUID === TransferSyntax.DeflatedExplicitVRLittleEndian;
  if (reencode && !negotiate(accept, structure.transferSyntaxUID).asStored) {
    bytes = await toExplicitLittleEndian(bytes);
    structure = readPart10Structure(bytes);
  }
  const header = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, {
    ignoreErrors: true,
    untilTag: '7FE00010',
  });
  const format = framedFormat(header.dict);
  const ranges = frameRanges(offsetTableOf(bytes, structure.pixelData!), structure.pixelData!, format, format.frames);
  const slice = (index: number) => Buffer.concat(ranges[index]!.map(([offset, length]) => bytes.subarray(offset, offset + length)));
  return { syntax: structure.transferSyntaxUID, format: { ...format, frames: ranges.length }, frame: async (index) => slice(index), attributes: header.dict };
}

/**
 * Frames read straight from S3 with the positions recorded at ingest: one ranged GET per
 * frame, so a frame of a 2 GB multi-frame object costs a frame, not the object.
 */
export function rangedFrameSource(
  syntax: string,
  format: PixelFormat & { frames: number },
  ranges: ByteRange[][],
  readSpan: (start: number, end: number) => Promise<Buffer>,
): FrameSource {
  return {
    syntax,
    format: { ...format, frames: ranges.length },
    frame: async (index) => {
      const pieces = ranges[index]!;
      const start = pieces[0]![0];
      const [lastOffset, lastLength] = pieces.at(-1)!;
      return frameFromSpan(await readSpan(start, lastOffset + lastLength - 1), pieces);
    },
  };
}

export async function renderFrames(source: FrameSource, frames: number[], accept: MediaRange[]): Promise<FramePart[]> {
  const wanted = negotiate(accept, source.syntax);
  const missing = frames.filter((n) => n > source.format.frames);
  if (missing.length) throw new NotFoundError(`frame ${missing.slice(0, 10).join(', ')} does not exist (the instance has ${source.format.frames})`);
  // A list may name a frame twice, but not ask for more frames than the instance holds: one
  // request must not buy a thousand copies of a frame.
  if (frames.length > source.format.frames) {
    throw new BadRequestError(`at most ${source.format.frames} frame numbers per request (the instance has ${source.format.frames} frames)`);
  }
  const { syntax, format } = source;
  if (!NATIVE_SYNTAXES.has(syntax) && !wanted.asStored) assertDecodable(format, frames.length);
  const parts: FramePart[] = [];
  for (const n of frames) {
    const frame = await source.frame(n - 1);
    if (NATIVE_SYNTAXES.has(syntax)) parts.push({ contentType: 'application/octet-stream', body: frame });
    else if (wanted.asStored) parts.push({ contentType: `${FRAME_MEDIA_TYPES[syntax] ?? 'application/octet-stream'}; transfer-syntax=${syntax}`, body: frame });
    else parts.push({ contentType: 'application/octet-stream', body: await decodeFrame(syntax, frame, format) });
  }
  return parts;
}

async function decodeFrame(syntax: string, frame: Buffer, format: PixelFormat): Promise<Buffer> {
  if (syntax === '1.2.840.10008.1.2.5') return decodeRleFrame(frame, format);
  if (syntax === '1.2.840.10008.1.2.4.50') return (await decodeWithWasm('jpeg', frame)).pixels;
  if (syntax === '1.2.840.10008.1.2.4.80' || syntax === '1.2.840.10008.1.2.4.81') return (await decodeWithWasm('jpegls', frame)).pixels;
  if (syntax === '1.2.840.10008.1.2.4.90' || syntax === '1.2.840.10008.1.2.4.91') return (await decodeWithWasm('jpeg2000', frame)).pixels;
  throw new NotAcceptableError(`no decoder for transfer syntax ${syntax}; request transfer-syntax=* to receive the frames as stored`);
}
