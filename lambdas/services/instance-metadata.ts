/**
 * WADO-RS metadata (PS3.18 10.4.1.2) from the index: the study, series and instance
 * attributes kept at ingest, plus what the archive knows (RetrieveURL, availability).
 */
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { Tag } from '#core/dicom/tags.ts';
import type { InstanceRecord } from '#adapters/index-store.ts';
import { COLD_CLASSES } from './retrieve-instances.ts';

export function instanceMetadata(record: InstanceRecord, serviceUrl: string): DicomJsonDataset {
  const { study, series, sop } = record.id;
  const merged: DicomJsonDataset = {
    ...record.study,
    ...record.series,
    ...record.instance,
    [Tag.InstanceAvailability]: { vr: 'CS', Value: [COLD_CLASSES.has(record.storageClass) ? 'NEARLINE' : 'ONLINE'] },
    [Tag.RetrieveURL]: { vr: 'UR', Value: [`${serviceUrl}/studies/${study}/series/${series}/instances/${sop}`] },
  };
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}
