/**
 * WADO-RS metadata (PS3.18 10.4.1.2): each instance's full DICOM JSON, kept at ingest in a
 * metadata document that stays in S3 Standard, with its BulkDataURIs made absolute and the
 * archive's own attributes (availability, RetrieveURL) added. Documents are read a few at a
 * time; an instance stored before metadata documents existed falls back to the index.
 */
import { instanceAvailability } from '#core/lifecycle/availability.ts';
import { clock } from '#adapters/clock.ts';
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { Tag } from '#core/dicom/tags.ts';
import { metadataObjectKey } from '#core/index-keys.ts';
import { resourceUrl } from '#core/dicomweb/resource-url.ts';
import type { InstanceRecord } from '#adapters/index-store.ts';
import { readMetadataObject } from '#adapters/object-store.ts';

const PARALLEL_READS = 8;

export async function instancesMetadata(records: InstanceRecord[], serviceUrl: string): Promise<DicomJsonDataset[]> {
  const out: DicomJsonDataset[] = new Array(records.length);
  let next = 0;
  const worker = async () => {
    while (next < records.length) {
      const index = next++;
      out[index] = await instanceMetadata(records[index]!, serviceUrl);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, records.length) }, worker));
  return out;
}

async function instanceMetadata(record: InstanceRecord, serviceUrl: string): Promise<DicomJsonDataset> {
  const instanceUrl = resourceUrl(serviceUrl, record.id);
  const stored = await readMetadataObject(metadataObjectKey(record.id, record.sha256));
  const dataset = stored ? absoluteBulkData(stored, `${instanceUrl}/`) : { ...record.study, ...record.series, ...record.instance };
  const merged: DicomJsonDataset = {
    ...dataset,
    [Tag.InstanceAvailability]: { vr: 'CS', Value: [instanceAvailability(record.storageClass, record.restoredUntil, clock.now())] },
    [Tag.RetrieveURL]: { vr: 'UR', Value: [instanceUrl] },
  };
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}

function absoluteBulkData(dataset: DicomJsonDataset, base: string): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const [tag, attribute] of Object.entries(dataset)) {
    if (attribute.BulkDataURI) out[tag] = { ...attribute, BulkDataURI: new URL(attribute.BulkDataURI, base).href };
    else if (attribute.vr === 'SQ' && attribute.Value) {
      out[tag] = { ...attribute, Value: attribute.Value.map((item) => absoluteBulkData(item as DicomJsonDataset, base)) };
    } else out[tag] = attribute;
  }
  return out;
}
