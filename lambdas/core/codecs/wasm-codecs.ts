/**
 * The WebAssembly image codecs viewers use (@cornerstonejs/codec-*), loaded once per container:
 * JPEG baseline (libjpeg-turbo, 8-bit), JPEG-LS (CharLS) and JPEG 2000 (OpenJPEG) decoders.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

interface Decoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number };
}

interface CodecModule {
  [codecClass: string]: new () => Decoder;
}

const require = createRequire(import.meta.url);

const CODECS = {
  jpeg: { module: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', wasm: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm', decoder: 'JPEGDecoder' },
  jpegls: { module: '@cornerstonejs/codec-charls/decodewasmjs', wasm: '@cornerstonejs/codec-charls/decodewasm', decoder: 'JpegLSDecoder' },
  jpeg2000: { module: '@cornerstonejs/codec-openjpeg/decodewasmjs', wasm: '@cornerstonejs/codec-openjpeg/decodewasm', decoder: 'J2KDecoder' },
} as const;

export type WasmCodec = keyof typeof CODECS;

const loaded = new Map<WasmCodec, Promise<CodecModule>>();

function load(codec: WasmCodec): Promise<CodecModule> {
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

