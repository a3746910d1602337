/**
 * WADO-RS frames (PS3.18 10.4.1.1.3): `/frames/1,3` in the order asked. By default frames are
 * uncompressed (`application/octet-stream`), decoded when stored compressed; with
 * `transfer-syntax=*` (what OHIF asks for) or the stored compressed media type they are sent
 * as stored. Frame numbers are 1-based: a malformed list is 400, a number past the last
 * frame is 404.
 */
import dcmjs from '#core/dicom/dcmjs-configured.ts';
import { BadRequestError, NotAcceptableError, NotFoundError } from '#core/errors.ts';
import { decodeRleFrame } from '#core/codecs/rle.ts';
import { decodeWithWasm } from '#core/codecs/wasm-codecs.ts';
import type { MediaRange } from '#core/dicomweb/accept.ts';
import { encapsulatedFrames, nativeFrame } from '#core/dicom/frames.ts';
import { readPart10Structure } from '#core/dicom/part10-structure.ts';
import { TransferSyntax } from '#core/dicom/tags.ts';
import { NATIVE_SYNTAXES, pixelFormat, toExplicitLittleEndian } from '#core/dicom/transcode.ts';

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

export async function readFrames(instance: Buffer, frames: number[], ranges: MediaRange[]): Promise<FramePart[]> {
  let bytes = instance;
  let structure = readPart10Structure(bytes);
  if (!structure.pixelData) throw new NotFoundError('this instance has no pixel data');
  const wanted = negotiate(ranges, structure.transferSyntaxUID);
  // Big endian and deflated pixels are re-encoded first; frames are then plain slices.
  if (!wanted.asStored && (structure.transferSyntaxUID === TransferSyntax.ExplicitVRBigEndian || structure.transferSyntaxUID === TransferSyntax.DeflatedExplicitVRLittleEndian)) {
    bytes = await toExplicitLittleEndian(bytes);
    structure = readPart10Structure(bytes);
  }
  const header = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, {
    ignoreErrors: true,
    untilTag: '7FE00010',
  });
  const format = pixelFormat(header.dict);
  const pixel = structure.pixelData!;
  const missing = frames.filter((n) => n > format.frames);
  if (missing.length) throw new NotFoundError(`frame ${missing.join(', ')} does not exist (the instance has ${format.frames})`);

  const native = NATIVE_SYNTAXES.has(structure.transferSyntaxUID);
  if (native) return frames.map((n) => ({ contentType: 'application/octet-stream', body: nativeFrame(bytes, pixel, format, n - 1) }));
  const encoded = encapsulatedFrames(bytes, pixel, format.frames);
  const syntax = structure.transferSyntaxUID;
  if (wanted.asStored) {
    return frames.map((n) => ({ contentType: `${FRAME_MEDIA_TYPES[syntax] ?? 'application/octet-stream'}; transfer-syntax=${syntax}`, body: encoded[n - 1]! }));
  }
  const parts: FramePart[] = [];
  for (const n of frames) {
    const frame = encoded[n - 1]!;
    let body: Buffer;
    if (syntax === '1.2.840.10008.1.2.5') body = decodeRleFrame(frame, format);
    else if (syntax === '1.2.840.10008.1.2.4.50') body = (await decodeWithWasm('jpeg', frame)).pixels;
    else if (syntax === '1.2.840.10008.1.2.4.80' || syntax === '1.2.840.10008.1.2.4.81') body = (await decodeWithWasm('jpegls', frame)).pixels;
    else if (syntax === '1.2.840.10008.1.2.4.90' || syntax === '1.2.840.10008.1.2.4.91') body = (await decodeWithWasm('jpeg2000', frame)).pixels;
    else throw new NotAcceptableError(`no decoder for transfer syntax ${syntax}; request transfer-syntax=* to receive the frames as stored`);
    parts.push({ contentType: 'application/octet-stream', body });
  }
  return parts;
}
