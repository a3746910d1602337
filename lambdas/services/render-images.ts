/**
 * WADO-RS rendered and thumbnail resources (PS3.18 10.4.1.1.4, 10.4.1.1.5): consumer-ready
 * JPEG or PNG images of studies, series, instances and frames, windowed as the dataset says
 * (or as the `window` parameter asks), scaled to a `viewport`. Thumbnails of a study or series
 * show its representative instance: the middle instance of the (first renderable) series.
 */
import { NotAcceptableError, NotFoundError, PayloadTooLargeError } from '#core/errors.ts';
import type { MediaRange } from '#core/dicomweb/accept.ts';
import type { ResourceScope } from '#core/index-keys.ts';
import { encodePng } from '#core/render/png.ts';
import { fitWithin, pixelDescription, renderFrame, type Image8, type Window } from '#core/render/pixel-window.ts';
import { encodeJpeg } from '#core/render/jpeg.ts';
import { NATIVE_SYNTAXES } from '#core/dicom/transcode.ts';
import { TransferSyntax } from '#core/dicom/tags.ts';
import type { InstanceRecord } from '#adapters/index-store.ts';
import { readInstanceBytes } from '#adapters/object-store.ts';
import { findInstances } from './retrieve-instances.ts';
import { encodeMultipart, newBoundary } from '#core/dicomweb/multipart.ts';
import { requireReadable } from '#services/restores/cold-read.ts';
import { noteStudiesRead } from '#services/lifecycle/study-access.ts';
import { instanceFrameSource, renderFrames } from './retrieve-frames.ts';

export type RenderedType = 'image/jpeg' | 'image/png';

export interface RenderRequest {
  scope: ResourceScope;
  /** 1-based frame numbers (the frames resource); all frames otherwise. */
  frames?: number[] | undefined;
  thumbnail: boolean;
  type: RenderedType;
  window?: Window | undefined;
  viewport?: { width: number; height: number } | undefined;
  /** JPEG quality, 1–100. */
  quality: number;
  /** Told the instances found, before any rendering (the audit notes their patient). */
  found?: (records: InstanceRecord[]) => void;
  /** Who asks: a restore of archived bytes started on their behalf says so. */
  requestedBy: string;
}

/** A thumbnail fits in this square unless the request gives a viewport. */
export const THUMBNAIL_SIZE = 128;
/** Images in one rendered response (a buffered Lambda response is at most 6 MB). */
export const MAX_RENDERED_IMAGES = 100;

const NATIVE_FRAMES: MediaRange[] = [{ type: 'application/octet-stream', parameters: {}, q: 1 }];

/** The image type the client accepts and whether it asked for multipart/related; 406 otherwise. */
export function negotiateRendered(ranges: MediaRange[]): { type: RenderedType; multipart: boolean } {
  for (const range of ranges) {
    const multipart = range.type === 'multipart/related';
    const type = multipart ? (range.parameters.type ?? '').toLowerCase() : range.type;
    if (type === 'image/jpeg' || type === 'image/png') return { type, multipart };
    if (type === '*/*' || type === 'image/*') return { type: 'image/jpeg', multipart: false };
  }
  throw new NotAcceptableError('rendered images are available as image/jpeg or image/png (or multipart/related of either)');
}

export async function renderImages(request: RenderRequest): Promise<Buffer[]> {
  const records = await findInstances(request.scope);
  request.found?.(records);
  if (request.thumbnail) {
    for (const record of representatives(records, request.scope)) {
      const [image] = await renderInstance(record, [request.frames?.[0] ?? 1], request);
      if (image) return noted([image], records);
    }
    throw new NotFoundError('nothing in this resource has pixel data to show');
  }
  const images: Buffer[] = [];
  for (const record of records) {
    images.push(...(await renderInstance(record, request.frames, request)));
    if (images.length > MAX_RENDERED_IMAGES) {
      throw new PayloadTooLargeError(`more than ${MAX_RENDERED_IMAGES} images; ask for the rendered series, instances or frames instead`);
    }
  }
  if (!images.length) throw new NotFoundError('nothing in this resource has pixel data to show');
  return noted(images, records);
}

/** The images, once the read of their study is noted: once per request, not once per instance. */
async function noted(images: Buffer[], records: InstanceRecord[]): Promise<Buffer[]> {
  await noteStudiesRead(records.slice(0, 1).map((r) => r.id));
  return images;
}

/** The answer's body: one image as itself, unless the client asked for multipart; several as multipart/related. */
export function renderedBody(images: Buffer[], type: string, multipart: boolean): { contentType: string; body: Buffer } {
  if (images.length === 1 && !multipart) return { contentType: type, body: images[0]! };
  const boundary = newBoundary();
  return {
    contentType: `multipart/related; type="${type}"; boundary=${boundary}`,
    body: encodeMultipart(boundary, images.map((image) => ({ headers: { 'Content-Type': type }, body: image }))),
  };
}

/** For a thumbnail: the middle instance of each series in SeriesNumber order (records come in instance order). */
function representatives(records: InstanceRecord[], scope: ResourceScope): InstanceRecord[] {
  if (scope.sop) return records.slice(0, 1);
  const bySeries = new Map<string, InstanceRecord[]>();
  for (const record of records) bySeries.set(record.id.series, [...(bySeries.get(record.id.series) ?? []), record]);
  const seriesNumber = (list: InstanceRecord[]) => Number(list[0]!.series['00200011']?.Value?.[0] ?? Number.MAX_SAFE_INTEGER);
  return [...bySeries.values()].sort((a, b) => seriesNumber(a) - seriesNumber(b)).map((list) => list[Math.floor((list.length - 1) / 2)]!);
}

/** The rendered frames of one instance; none when it has no pixel data (an SR, say). */
async function renderInstance(record: InstanceRecord, frames: number[] | undefined, request: RenderRequest): Promise<Buffer[]> {
  // Archived bytes are restored, as for WADO: 503 with the restore, then the image.
  await requireReadable([record], request.requestedBy);
  let source;
  try {
    source = await instanceFrameSource(await readInstanceBytes(record.objectKey), NATIVE_FRAMES);
  } catch (error) {
    if (error instanceof NotFoundError && !frames) return [];
    throw error;
  }
  const wanted = frames ?? Array.from({ length: Math.min(source.format.frames, MAX_RENDERED_IMAGES + 1) }, (_, i) => i + 1);
  const compressed = !NATIVE_SYNTAXES.has(source.syntax);
  const pixels = pixelDescription(source.attributes ?? {}, { interleaved: compressed, rgb: compressed && source.syntax !== TransferSyntax.RLELossless });
  const parts = await renderFrames(source, wanted, NATIVE_FRAMES);
  const box = request.viewport ?? (request.thumbnail ? { width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE } : undefined);
  const images: Buffer[] = [];
  for (const part of parts) {
    let image: Image8 = renderFrame(part.body, pixels, request.window);
    if (box) image = fitWithin(image, box.width, box.height);
    images.push(request.type === 'image/png' ? encodePng(image) : encodeJpeg(image, request.quality));
  }
  return images;
}
