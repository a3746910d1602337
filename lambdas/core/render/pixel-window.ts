/**
 * From stored pixel values to the 8-bit image a viewer shows (PS3.3 C.11.2 VOI LUT, C.7.6.3
 * photometric interpretation): Modality LUT (rescale slope/intercept), then the window, then
 * MONOCHROME1 inversion; colour images to interleaved RGB. Pure: bytes in, bytes out.
 */
import { BadRequestError, NotAcceptableError } from '#core/errors.ts';
import { imagePixelAttributes, numberAttribute, type AttributeSource, type ImagePixelAttributes } from '#core/dicom/pixel-format.ts';

/** What rendering needs to know of the stored samples. */
export interface PixelDescription extends Omit<ImagePixelAttributes, 'frames'> {
  rescaleSlope: number;
  rescaleIntercept: number;
  /** The dataset's first Window Center/Width (PS3.3 C.11.2.1.2), if any. */
  window?: Window | undefined;
}

export interface Window {
  center: number;
  width: number;
  /** LINEAR (the default), LINEAR_EXACT or SIGMOID (VOI LUT Function, 0028,1056). */
  fn: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';
}

export interface Image8 {
  width: number;
  height: number;
  /** 1 grey or 3 RGB, interleaved. */
  channels: 1 | 3;
  data: Buffer;
}

/** The `window=center,width[,function]` query parameter of PS3.18 8.3.5.1.4. */
export function parseWindowParameter(value: string): Window {
  const [center, width, fn = 'linear'] = value.split(',').map((part) => part.trim());
  const c = Number(center);
  const w = Number(width);
  const name = fn.toUpperCase().replace('-', '_');
  if (!Number.isFinite(c) || !Number.isFinite(w) || w <= 0 || !['LINEAR', 'LINEAR_EXACT', 'SIGMOID'].includes(name)) {
    throw new BadRequestError('window must be center,width[,linear|linear-exact|sigmoid] with a positive width');
  }
  return { center: c, width: w, fn: name as Window['fn'] };
}

/** Renders one native frame (little endian, as WADO conversion and the decoders deliver it). */
export function renderFrame(frame: Buffer, pixels: PixelDescription, window?: Window): Image8 {
  const { rows, columns } = pixels;
  const count = rows * columns;
  if (pixels.samplesPerPixel === 3) return { width: columns, height: rows, channels: 3, data: toRgb(frame, pixels) };
  if (pixels.samplesPerPixel !== 1 || !/^MONOCHROME[12]$/.test(pixels.photometric)) {
    throw new NotAcceptableError(`${pixels.photometric || 'this photometric interpretation'} with ${pixels.samplesPerPixel} samples cannot be rendered; retrieve the frames instead`);
  }
  const values = new Float64Array(count);
  const read = sampleReader(frame, pixels);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const value = read(i) * pixels.rescaleSlope + pixels.rescaleIntercept;
    values[i] = value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  // Without a window in the request or the dataset, the frame's own range is shown.
  const chosen = window ?? pixels.window ?? { center: (min + max) / 2, width: Math.max(max - min, 1), fn: 'LINEAR_EXACT' as const };
  const lut = windowFunction(chosen);
  const out = Buffer.alloc(count);
  const invert = pixels.photometric === 'MONOCHROME1';
  for (let i = 0; i < count; i++) {
    const y = lut(values[i]!);
    out[i] = invert ? 255 - y : y;
  }
  return { width: columns, height: rows, channels: 1, data: out };
}

/** PS3.3 C.11.2.1.2.1 (LINEAR), C.11.2.1.3.2 (LINEAR_EXACT) and C.11.2.1.3.1 (SIGMOID), onto 0–255. */
export function windowFunction({ center: c, width: w, fn }: Window): (x: number) => number {
  if (fn === 'SIGMOID') return (x) => Math.round(255 / (1 + Math.exp((-4 * (x - c)) / w)));
  if (fn === 'LINEAR_EXACT') {
    return (x) => (x <= c - w / 2 ? 0 : x > c + w / 2 ? 255 : Math.round(((x - c) / w + 0.5) * 255));
  }
  return (x) => {
    if (x <= c - 0.5 - (w - 1) / 2) return 0;
    if (x > c - 0.5 + (w - 1) / 2) return 255;
    return Math.round(((x - (c - 0.5)) / Math.max(w - 1, 1) + 0.5) * 255);
  };
}

/** The i-th sample of a grey frame, masked to Bits Stored and sign-extended when signed. */
function sampleReader(frame: Buffer, pixels: PixelDescription): (i: number) => number {
  const bits = Math.min(Math.max(pixels.bitsStored || pixels.bitsAllocated, 1), pixels.bitsAllocated);
  const signed = pixels.pixelRepresentation === 1;
  const extend = (raw: number) => {
    const value = bits >= 32 ? raw : raw & (2 ** bits - 1);
    return signed && value >= 2 ** (bits - 1) ? value - 2 ** bits : value;
  };
  if (pixels.bitsAllocated === 8) return (i) => extend(frame[i] ?? 0);
  if (pixels.bitsAllocated === 16) return (i) => (2 * i + 1 < frame.length ? extend(frame.readUInt16LE(2 * i)) : 0);
  if (pixels.bitsAllocated === 32) return (i) => (4 * i + 3 < frame.length ? extend(frame.readUInt32LE(4 * i)) : 0);
  throw new NotAcceptableError(`BitsAllocated ${pixels.bitsAllocated} cannot be rendered; retrieve the frames instead`);
}

/** Interleaved 8-bit RGB from RGB or YBR_FULL/YBR_FULL_422 samples of 8 or 16 bits, either planar configuration. */
function toRgb(frame: Buffer, pixels: PixelDescription): Buffer {
  const count = pixels.rows * pixels.columns;
  const bytes = pixels.bitsAllocated / 8;
  if (bytes !== 1 && bytes !== 2) throw new NotAcceptableError(`colour with BitsAllocated ${pixels.bitsAllocated} cannot be rendered`);
  const shift = Math.max((pixels.bitsStored || pixels.bitsAllocated) - 8, 0);
  const sample = (index: number) => (bytes === 1 ? (frame[index] ?? 0) : index * 2 + 1 < frame.length ? frame.readUInt16LE(index * 2) >> shift : 0);
  const out = Buffer.alloc(count * 3);
  if (pixels.photometric === 'YBR_FULL_422' && pixels.planarConfiguration === 0) {
    // Two pixels share chroma: Y1 Y2 Cb Cr (PS3.3 C.7.6.3.1.2).
    for (let p = 0; p < count; p += 2) {
      const base = p * 2;
      const [cb, cr] = [sample(base + 2), sample(base + 3)];
      writeYbr(out, p, sample(base), cb, cr);
      if (p + 1 < count) writeYbr(out, p + 1, sample(base + 1), cb, cr);
    }
    return out;
  }
  const at = (p: number, channel: number) => sample(pixels.planarConfiguration === 1 ? channel * count + p : p * 3 + channel);
  const ybr = pixels.photometric.startsWith('YBR');
  for (let p = 0; p < count; p++) {
    if (ybr) writeYbr(out, p, at(p, 0), at(p, 1), at(p, 2));
    else for (let channel = 0; channel < 3; channel++) out[p * 3 + channel] = at(p, channel);
  }
  return out;
}

/** YCbCr (full range, PS3.3 C.7.6.3.1.2) to RGB. */
function writeYbr(out: Buffer, p: number, y: number, cb: number, cr: number): void {
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  out[p * 3] = clamp(y + 1.402 * (cr - 128));
  out[p * 3 + 1] = clamp(y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128));
  out[p * 3 + 2] = clamp(y + 1.772 * (cb - 128));
}

/** Shrinks an image to fit within `maxWidth × maxHeight` (box filter), keeping its aspect; never enlarges. */
export function fitWithin(image: Image8, maxWidth: number, maxHeight: number): Image8 {
  const scale = Math.min(maxWidth / image.width, maxHeight / image.height, 1);
  if (scale >= 1) return image;
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const { channels } = image;
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * image.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * image.height) / height));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor((x * image.width) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * image.width) / width));
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let sy = y0; sy < y1; sy++) for (let sx = x0; sx < x1; sx++) sum += image.data[(sy * image.width + sx) * channels + c]!;
        data[(y * width + x) * channels + c] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
      }
    }
  }
  return { width, height, channels, data };
}

/** The pixel description from a dataset (dcmjs dict), with the defaults PS3.3 gives absent attributes. */
export function pixelDescription(dict: AttributeSource, decoded: { interleaved: boolean; rgb: boolean }): PixelDescription {
  const { frames: _frames, ...pixel } = imagePixelAttributes(dict);
  const photometric = pixel.photometric || 'MONOCHROME2';
  const center = Number(dict['00281050']?.Value?.[0]);
  const width = Number(dict['00281051']?.Value?.[0]);
  const fn = String(dict['00281056']?.Value?.[0] ?? 'LINEAR').trim().toUpperCase();
  return {
    ...pixel,
    // Decoders deliver samples interleaved; the JPEG family's also undo the colour transform.
    photometric: decoded.rgb && photometric.startsWith('YBR') ? 'RGB' : photometric,
    planarConfiguration: decoded.interleaved ? 0 : pixel.planarConfiguration,
    rescaleSlope: numberAttribute(dict, '00281053', 1) || 1,
    rescaleIntercept: numberAttribute(dict, '00281052', 0),
    window: Number.isFinite(center) && Number.isFinite(width) && width > 0 ? { center, width, fn: (['LINEAR_EXACT', 'SIGMOID'].includes(fn) ? fn : 'LINEAR') as Window['fn'] } : undefined,
  };
}
