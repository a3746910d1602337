/**
 * The single-part-per-item WADO-RS resources of one instance: frames (PS3.18 10.4.1.1.3) and
 * bulk data (10.4.1.1.5), each part with its Content-Location.
 */
import type { MediaRange } from '#core/dicomweb/accept.ts';
import { imagePixelAttributes } from '#core/dicom/pixel-format.ts';
import type { InstanceRecord } from '#adapters/index-store.ts';
import { readInstanceBytes } from '#adapters/object-store.ts';
import { readBulkData } from './retrieve-bulkdata.ts';
import { instanceFrameSource, rangedFrameSource, renderFrames, type FramePart } from './retrieve-frames.ts';

export interface LocatedPart extends FramePart {
  location: string;
}

export async function framesOf(record: InstanceRecord, frames: number[], accept: MediaRange[], instanceUrl: string): Promise<LocatedPart[]> {
  // Positions recorded at ingest make each frame one ranged read; older records read the object.
  const source = record.frameRanges?.length
    ? rangedFrameSource(record.transferSyntaxUID, imagePixelAttributes(record.instance), record.frameRanges, (start, end) => readInstanceBytes(record.objectKey, { start, end }))
    : await instanceFrameSource(await readInstanceBytes(record.objectKey), accept);
  const parts = await renderFrames(source, frames, accept);
  return parts.map((part, i) => ({ ...part, location: `${instanceUrl}/frames/${frames[i]}` }));
}

export async function bulkDataOf(record: InstanceRecord, path: string, accept: MediaRange[], instanceUrl: string): Promise<LocatedPart[]> {
  const parts = await readBulkData(await readInstanceBytes(record.objectKey), path, accept);
  return parts.map((part) => ({ ...part, location: `${instanceUrl}/bulkdata/${path}` }));
}
