/**
 * Baseline JPEG for rendered images, with jpeg-js (pure JavaScript). The WASM libjpeg-turbo
 * encoder shipped with the decoders sizes its output by the input and corrupts its module
 * (every later encode fails) for images under about 16×16 — a viewport of 2,2 — so rendering
 * does not use it.
 */
import jpeg from 'jpeg-js';
import type { Image8 } from './pixel-window.ts';

export function encodeJpeg(image: Image8, quality: number): Buffer {
  const rgba = Buffer.alloc(image.width * image.height * 4);
  for (let p = 0; p < image.width * image.height; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = image.data[p * image.channels + (image.channels === 3 ? c : 0)]!;
    rgba[p * 4 + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width: image.width, height: image.height }, quality).data;
}
