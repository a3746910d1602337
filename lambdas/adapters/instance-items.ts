/**
 * The index's item shapes for instances (docs/data-model.md): what a stored instance is, and
 * how it is written to and read from its DynamoDB item.
 */
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import type { ByteRange } from '#core/dicom/frames.ts';
import { Keys, type InstanceIdentity } from '#core/index-keys.ts';

export interface InstanceRecord {
  id: InstanceIdentity;
  sopClassUID: string;
  transferSyntaxUID: string;
  sha256: string; // hex
  size: number;
  objectKey: string;
  storageClass: string;
  ingestedAt: string;
  modality: string;
  study: DicomJsonDataset;
  series: DicomJsonDataset;
  instance: DicomJsonDataset;
  /** Earlier versions listed on items written before versions had their own items (docs/decisions/0002). */
  previousVersions?: InstanceVersion[];
  /** Where each frame's bytes are in the object (frames then need one ranged read each). */
  frameRanges?: ByteRange[][] | undefined;
  /** Until when a restored copy of archived bytes is readable (S3 "Object Restore Completed"). */
  restoredUntil?: string | undefined;
  /** Ids of the legal holds covering the instance (docs/legal-hold.md); absent when none. */
  holds?: string[] | undefined;
  /** When the bytes entered their storage class (a lifecycle transition); absent: at ingest. */
  storageClassChangedAt?: string | undefined;
  /** The DR replica confirmed (docs/dr.md): the version the DR audit found replicated whole, and when. */
  replica?: { sha256: string; confirmedAt: string } | undefined;
}

export interface StoreOutcome {
  created: InstanceRecord[];
  /** Already indexed with the same bytes: nothing changed. */
  unchanged: InstanceRecord[];
  /** Already indexed with other bytes: the new bytes became the current version. */
  replaced: { record: InstanceRecord; previous: InstanceRecord }[];
  /** Other bytes ingested before the current version's (found late): kept as an earlier version. */
  kept: { record: InstanceRecord; current: InstanceRecord }[];
  /** Not indexed (nothing changed for it); its bytes are in S3. */
  failed: { record: InstanceRecord; error: Error }[];
}

export interface InstanceVersion {
  sha256: string;
  objectKey: string;
  size: number;
  transferSyntaxUID: string;
  ingestedAt: string;
  /** The version's storage class and when it entered it (absent on items older than the usage counters: STANDARD, at ingest). */
  storageClass?: string | undefined;
  storageClassChangedAt?: string | undefined;
}

export function instanceItem(record: InstanceRecord): Record<string, unknown> {
  return {
    ...Keys.instance(record.id),
    ...Keys.instanceBySop(record.id.tenant, record.id.sop),
    type: 'instance',
    dicom: JSON.stringify(record.instance),
    seriesDicom: JSON.stringify(record.series),
    studyDicom: JSON.stringify(record.study),
    sopClassUID: record.sopClassUID,
    transferSyntaxUID: record.transferSyntaxUID,
    modality: record.modality,
    sha256: record.sha256,
    size: record.size,
    objectKey: record.objectKey,
    storageClass: record.storageClass,
    ingestedAt: record.ingestedAt,
    frames: record.frameRanges,
    ...(record.holds?.length ? { holds: new Set(record.holds) } : {}),
  };
}

export function fromInstanceItem(item: Record<string, unknown>, id: InstanceIdentity): InstanceRecord {
  return {
    id,
    sopClassUID: String(item.sopClassUID),
    transferSyntaxUID: String(item.transferSyntaxUID),
    sha256: String(item.sha256),
    size: Number(item.size),
    objectKey: String(item.objectKey),
    storageClass: String(item.storageClass ?? 'STANDARD'),
    ingestedAt: String(item.ingestedAt),
    modality: String(item.modality ?? ''),
    instance: JSON.parse(String(item.dicom)) as DicomJsonDataset,
    series: JSON.parse(String(item.seriesDicom ?? '{}')) as DicomJsonDataset,
    study: JSON.parse(String(item.studyDicom ?? '{}')) as DicomJsonDataset,
    previousVersions: (item.previousVersions as InstanceVersion[] | undefined) ?? [],
    frameRanges: item.frames as ByteRange[][] | undefined,
    restoredUntil: item.restoredUntil === undefined ? undefined : String(item.restoredUntil),
    holds: item.holds === undefined ? undefined : [...(item.holds as Set<string>)].sort(),
    storageClassChangedAt: item.storageClassChangedAt === undefined ? undefined : String(item.storageClassChangedAt),
    replica: item.replicaSha256 === undefined ? undefined : { sha256: String(item.replicaSha256), confirmedAt: String(item.replicaConfirmedAt) },
  };
}
