/**
 * WADO-RS bulk data (PS3.18 10.4.1.1.5): resolves the BulkDataURIs the metadata emits,
 * `…/instances/{sop}/bulkdata/TAG[/ITEM/TAG…]`. Pixel Data is answered frame by frame, as
 * the frames resource does; any other binary value as one application/octet-stream part.
 */
import type { DicomDataset } from 'dcmjs';
import dcmjs from '#core/dicom/dcmjs-configured.ts';
import { BadRequestError, NotFoundError } from '#core/errors.ts';
import type { MediaRange } from '#core/dicomweb/accept.ts';
import { instanceFrameSource, renderFrames, type FramePart } from './retrieve-frames.ts';

export async function readBulkData(instance: Buffer, path: string, ranges: MediaRange[]): Promise<FramePart[]> {
  const segments = path.split('/').filter(Boolean);
  if (segments.length % 2 === 0 || segments.some((s, i) => (i % 2 ? !/^\d+$/.test(s) : !/^[0-9A-Fa-f]{8}$/.test(s)))) {
    throw new BadRequestError(`"${path}" is not a bulk data path (TAG[/ITEM/TAG…])`);
  }
  const file = dcmjs.data.DicomMessage.readFile(instance.buffer.slice(instance.byteOffset, instance.byteOffset + instance.byteLength) as ArrayBuffer, {
    ignoreErrors: true,
  });
  if (segments.length === 1 && segments[0]!.toUpperCase() === '7FE00010') {
    // Every frame the Pixel Data holds — counted from its bytes, never from NumberOfFrames.
    const source = await instanceFrameSource(instance, ranges);
    return renderFrames(source, Array.from({ length: source.format.frames }, (_, i) => i + 1), ranges);
  }
  let dataset: DicomDataset = file.dict;
  for (let i = 0; i < segments.length - 1; i += 2) {
    const item = dataset[segments[i]!.toUpperCase()]?.Value?.[Number(segments[i + 1]) - 1] as DicomDataset | undefined;
    if (!item) throw new NotFoundError(`no bulk data at ${path}`);
    dataset = item;
  }
  const element = dataset[segments.at(-1)!.toUpperCase()];
  if (!element?.Value?.length) throw new NotFoundError(`no bulk data at ${path}`);
  const body = Buffer.concat(element.Value.map((v) => (v instanceof ArrayBuffer ? Buffer.from(v) : Buffer.alloc(0))));
  return [{ contentType: 'application/octet-stream', body }];
}
