/** The index record and the object metadata of a stored instance, however its bytes arrived. */
import type { ParsedInstance } from '#core/dicom/read-instance.ts';
import { INSTANCE_LEVEL_TAGS, SERIES_LEVEL_TAGS, STUDY_LEVEL_TAGS, Tag, TransferSyntax } from '#core/dicom/tags.ts';
import { frameRanges, type ByteRange } from '#core/dicom/frames.ts';
import { imagePixelAttributes } from '#core/dicom/pixel-format.ts';
import { firstString, pick, type DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { instanceObjectKey, type InstanceIdentity } from '#core/index-keys.ts';
import type { ObjectMetadata } from '#adapters/object-store.ts';
import type { InstanceRecord } from '#adapters/index-store.ts';
import type { StoreContext } from './store-context.ts';

export function identityOf(parsed: ParsedInstance, context: StoreContext): InstanceIdentity {
  return { tenant: context.tenant, study: parsed.studyInstanceUID, series: parsed.seriesInstanceUID, sop: parsed.sopInstanceUID };
}

export function objectMetadata(parsed: ParsedInstance, sha256: string, context: StoreContext): ObjectMetadata {
  const id = identityOf(parsed, context);
  return {
    tenant: id.tenant,
    study: id.study,
    series: id.series,
    sop: id.sop,
    sopClass: parsed.sopClassUID,
    transferSyntax: parsed.transferSyntaxUID,
    sha256,
    ingestedAt: context.now.toISOString(),
  };
}

/** What the index keeps of an instance's dataset, level by level (also rebuilt from its metadata document: services/dr). */
export function indexedLevels(dataset: DicomJsonDataset): Pick<InstanceRecord, 'modality' | 'study' | 'series' | 'instance'> {
  return {
    modality: firstString(dataset, Tag.Modality),
    study: pick(dataset, STUDY_LEVEL_TAGS),
    series: pick(dataset, SERIES_LEVEL_TAGS),
    instance: pick(dataset, INSTANCE_LEVEL_TAGS),
  };
}

/** `offsetTable`: the Basic Offset Table's bytes of encapsulated Pixel Data (all that cutting frames needs besides positions). */
export function instanceRecord(parsed: ParsedInstance, sha256: string, size: number, offsetTable: Buffer | undefined, context: StoreContext): InstanceRecord {
  const id = identityOf(parsed, context);
  return {
    id,
    sopClassUID: parsed.sopClassUID,
    transferSyntaxUID: parsed.transferSyntaxUID,
    sha256,
    size,
    objectKey: instanceObjectKey(id, sha256),
    storageClass: 'STANDARD',
    ingestedAt: context.now.toISOString(),
    ...indexedLevels(parsed.dataset),
    frameRanges: recordedFrameRanges(offsetTable, parsed),
  };
}

const MAX_RECORDED_FRAMES = 5000; // keeps the index item far below DynamoDB's 400 KB

/**
 * Frame positions for ranged frame reads. Not for big-endian or deflated objects, whose
 * frames need the whole object re-encoded, nor when the frames cannot be told apart.
 */
function recordedFrameRanges(offsetTable: Buffer | undefined, parsed: ParsedInstance): ByteRange[][] | undefined {
  const pixel = parsed.structure.pixelData;
  const syntax = parsed.transferSyntaxUID;
  if (!pixel || syntax === TransferSyntax.ExplicitVRBigEndian || syntax === TransferSyntax.DeflatedExplicitVRLittleEndian) return undefined;
  const format = imagePixelAttributes(parsed.dataset);
  if (format.frames > MAX_RECORDED_FRAMES || !format.rows || !format.columns) return undefined;
  try {
    return frameRanges(offsetTable, pixel, format, format.frames);
  } catch {
    return undefined;
  }
}
