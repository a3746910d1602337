/**
 * Conversion to Explicit VR Little Endian, the transfer syntax WADO-RS sends when the client
 * names none (PS3.18 8.7.3.4): implicit VR, big endian and deflated objects are re-encoded;
 * RLE, JPEG baseline, JPEG-LS and JPEG 2000 pixel data are decoded. Other compressions get
 * 406 with the advice to ask for transfer-syntax=*.
 */
import type { DicomDataset } from 'dcmjs';
import dcmjs from '#core/dicom/dcmjs-configured.ts';
import { NotAcceptableError } from '#core/errors.ts';
import { decodeRleFrame } from '#core/codecs/rle.ts';
import { imagePixelAttributes } from '#core/dicom/pixel-format.ts';
import { decodeWithWasm, type WasmCodec } from '#core/codecs/wasm-codecs.ts';
import { assertDecodable, encapsulatedFrames, framesHeld } from './frames.ts';
import { readPart10Structure, type Part10Structure } from './part10-structure.ts';
import { TransferSyntax } from './tags.ts';

export const NATIVE_SYNTAXES = new Set<string>([
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
]);

const DECODERS: Record<string, 'rle' | WasmCodec> = {
  '1.2.840.10008.1.2.5': 'rle',
  '1.2.840.10008.1.2.4.50': 'jpeg',
  '1.2.840.10008.1.2.4.80': 'jpegls',
  '1.2.840.10008.1.2.4.81': 'jpegls',
  '1.2.840.10008.1.2.4.90': 'jpeg2000',
  '1.2.840.10008.1.2.4.91': 'jpeg2000',
};

export function canConvertToExplicitLittleEndian(transferSyntaxUID: string): boolean {
  return NATIVE_SYNTAXES.has(transferSyntaxUID) || transferSyntaxUID in DECODERS;
}

export async function toExplicitLittleEndian(bytes: Buffer): Promise<Buffer> {
  const structure = readPart10Structure(bytes);
  if (structure.transferSyntaxUID === TransferSyntax.ExplicitVRLittleEndian) return bytes;
  if (!canConvertToExplicitLittleEndian(structure.transferSyntaxUID)) {
    throw new NotAcceptableError(
      `no decoder for transfer syntax ${structure.transferSyntaxUID}; request transfer-syntax=* to receive the instance as stored`,
    );
  }
  const file = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, {
    ignoreErrors: true,
  });
  if (structure.transferSyntaxUID === TransferSyntax.ExplicitVRBigEndian) swapBinaryValues(file.dict);
  if (DECODERS[structure.transferSyntaxUID]) await decodePixelData(bytes, structure, file.dict);
  file.meta['00020010'] = { vr: 'UI', Value: [TransferSyntax.ExplicitVRLittleEndian] };
  return Buffer.from(file.write());
}

/** Decodes every frame of encapsulated pixel data into native Pixel Data, in place. */
async function decodePixelData(bytes: Buffer, structure: Part10Structure, dict: DicomDataset): Promise<void> {
  if (!structure.pixelData) return;
  const format = framedFormat(dict);
  assertDecodable(format, framesHeld(structure.pixelData, format, format.frames));
  const decoder = DECODERS[structure.transferSyntaxUID]!;
  const decoded: Buffer[] = [];
  for (const frame of encapsulatedFrames(bytes, structure.pixelData, format.frames)) {
    decoded.push(decoder === 'rle' ? decodeRleFrame(frame, format) : (await decodeWithWasm(decoder, frame)).pixels);
  }
  const pixels = Buffer.concat(decoded);
  dict['7FE00010'] = { vr: format.bitsAllocated > 8 ? 'OW' : 'OB', Value: [pixels.buffer.slice(pixels.byteOffset, pixels.byteOffset + pixels.byteLength)] };
  if (format.samplesPerPixel > 1) {
    // The decoders deliver interleaved RGB (JPEG and JPEG 2000 undo their colour transforms).
    dict['00280006'] = { vr: 'US', Value: [0] };
    if (decoder !== 'rle' && /^YBR/.test(format.photometric)) dict['00280004'] = { vr: 'CS', Value: ['RGB'] };
  }
}

const SWAP_WIDTH: Record<string, number> = { OW: 2, OF: 4, OL: 4, OD: 8, OV: 8 };

/** dcmjs keeps binary values of big-endian files in file byte order; little endian needs them swapped. */
function swapBinaryValues(dataset: DicomDataset): void {
  for (const element of Object.values(dataset)) {
    if (element.vr === 'SQ') {
      for (const item of element.Value ?? []) swapBinaryValues(item as DicomDataset);
      continue;
    }
    const width = SWAP_WIDTH[element.vr];
    if (!width) continue;
    if ((element.Value ?? []).some((value) => (value as ArrayBuffer).byteLength % width !== 0)) continue;
    element.Value = (element.Value ?? []).map((value) => {
      const source = Buffer.from(value as ArrayBuffer);
      const swapped = Buffer.from(source);
      if (width === 2) swapped.swap16();
      else if (width === 4) swapped.swap32();
      else swapped.swap64();
      return swapped.buffer.slice(swapped.byteOffset, swapped.byteOffset + swapped.byteLength);
    });
  }
}

/** The pixel attributes with a NumberOfFrames that can be decoded (0 or less means one frame). */
export function framedFormat(dict: DicomDataset) {
  const format = imagePixelAttributes(dict);
  return { ...format, frames: format.frames > 0 ? format.frames : 1 };
}
