/**
 * The WebAssembly image codecs viewers use (@cornerstonejs/codec-*), loaded once per container:
 * JPEG baseline (libjpeg-turbo, 8-bit), JPEG-LS (CharLS) and JPEG 2000 (OpenJPEG) decoders,
 * and libjpeg-turbo's encoder for rendered images.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

interface Decoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number };
}

interface Encoder {
  getDecodedBuffer(info: { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean }): Uint8Array;
  setQuality(quality: number): void;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
}

interface CodecModule {
  [codecClass: string]: new () => Decoder & Encoder;
}

const require = createRequire(import.meta.url);

const CODECS = {
  jpeg: { module: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', wasm: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm', decoder: 'JPEGDecoder' },
  jpegls: { module: '@cornerstonejs/codec-charls/decodewasmjs', wasm: '@cornerstonejs/codec-charls/decodewasm', decoder: 'JpegLSDecoder' },
  jpeg2000: { module: '@cornerstonejs/codec-openjpeg/decodewasmjs', wasm: '@cornerstonejs/codec-openjpeg/decodewasm', decoder: 'J2KDecoder' },
  /** The full libjpeg-turbo build (decoder and encoder); only rendering loads it. */
  jpegEncoder: { module: '@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs', wasm: '@cornerstonejs/codec-libjpeg-turbo-8bit/wasm', decoder: 'JPEGEncoder' },
} as const;

export type WasmCodec = Exclude<keyof typeof CODECS, 'jpegEncoder'>;

const loaded = new Map<keyof typeof CODECS, Promise<CodecModule>>();

function load(codec: keyof typeof CODECS): Promise<CodecModule> {
  let module = loaded.get(codec);
  if (!module) {
    const spec = CODECS[codec];
    const factory = require(spec.module) as (options: Record<string, unknown>) => Promise<CodecModule>;
    const wasmPath = require.resolve(spec.wasm);
    module = factory({
      locateFile: (file: string) => (file.endsWith('.wasm') ? wasmPath : `${dirname(wasmPath)}/${file}`),
      // The codecs narrate their work on stdout; a server keeps its logs for itself.
      print: () => {},
      printErr: () => {},
    });
    loaded.set(codec, module);
  }
  return module;
}

/** Decodes one compressed frame to native pixels (samples interleaved, little endian). */
export async function decodeWithWasm(codec: WasmCodec, frame: Uint8Array): Promise<{ pixels: Buffer; width: number; height: number; components: number }> {
  const module = await load(codec);
  const decoder = new module[CODECS[codec].decoder]!();
  decoder.getEncodedBuffer(frame.length).set(frame);
  decoder.decode();
  const info = decoder.getFrameInfo();
  const pixels = Buffer.from(decoder.getDecodedBuffer()); // copy out of the WASM heap
  (decoder as unknown as { delete?: () => void }).delete?.();
  return { pixels, width: info.width, height: info.height, components: info.componentCount };
}

/** Encodes 8-bit grey or interleaved RGB pixels as a baseline JPEG (quality 1–100). */
export async function encodeJpeg(image: { width: number; height: number; channels: 1 | 3; data: Uint8Array }, quality: number): Promise<Buffer> {
  const module = await load('jpegEncoder');
  const encoder = new module[CODECS.jpegEncoder.decoder]!();
  encoder
    .getDecodedBuffer({ width: image.width, height: image.height, bitsPerSample: 8, componentCount: image.channels, isSigned: false })
    .set(image.data);
  // One argument (embind does not check arity: a boolean first would set quality 0).
  encoder.setQuality(quality);
  encoder.encode();
  const jpeg = Buffer.from(encoder.getEncodedBuffer()); // copy out of the WASM heap
  (encoder as unknown as { delete?: () => void }).delete?.();
  return jpeg;
}
