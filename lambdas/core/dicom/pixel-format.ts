/**
 * The Image Pixel module's attributes (PS3.3 C.7.6.3) read the one way Strata reads them, from
 * either shape a dataset takes here: DICOM JSON (the index) and the dcmjs dictionary (a parsed
 * file), which share `{ [tag]: { Value: [...] } }`.
 */

/** What it takes to find and decode frames. */
export interface PixelFormat {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
}

/** The format plus the attributes that say how samples are to be read and shown. */
export interface ImagePixelAttributes extends PixelFormat {
  /** NumberOfFrames as written (0 and negatives kept, so a caller can warn about them); 1 when absent. */
  frames: number;
  bitsStored: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
  /** Trimmed; '' when absent (callers that render take MONOCHROME2). */
  photometric: string;
  /** 0 interleaved (R1G1B1R2…), 1 by plane (R…G…B…). */
  planarConfiguration: number;
}

export type AttributeSource = Readonly<Record<string, { Value?: unknown[] | undefined } | undefined>>;

/** A numeric attribute's first value; absent or unreadable values take the fallback (PS3.3's default). */
export function numberAttribute(dataset: AttributeSource, tag: string, fallback: number): number {
  const value = Number(dataset[tag]?.Value?.[0] ?? Number.NaN);
  return Number.isFinite(value) ? value : fallback;
}

export function imagePixelAttributes(dataset: AttributeSource): ImagePixelAttributes {
  const bitsAllocated = numberAttribute(dataset, '00280100', 16);
  return {
    rows: numberAttribute(dataset, '00280010', 0),
    columns: numberAttribute(dataset, '00280011', 0),
    samplesPerPixel: numberAttribute(dataset, '00280002', 1),
    bitsAllocated,
    bitsStored: numberAttribute(dataset, '00280101', bitsAllocated),
    pixelRepresentation: numberAttribute(dataset, '00280103', 0),
    frames: numberAttribute(dataset, '00280008', 1),
    photometric: String(dataset['00280004']?.Value?.[0] ?? '').trim(),
    planarConfiguration: numberAttribute(dataset, '00280006', 0),
  };
}
