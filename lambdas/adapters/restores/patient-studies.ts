/** The studies of a patient (GSI1 on study items, newest first): what a patient-wide restore or a prefetch covers. */
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { Keys, studyOfPartition } from '#core/index-keys.ts';
import { queryIndex } from '../index-query.ts';

export interface PatientStudy {
  study: string;
  dicom: DicomJsonDataset;
  modalities: string[];
}

export async function studiesOfPatient(tenant: string, patientId: string, limit: number): Promise<PatientStudy[]> {
  const studies: PatientStudy[] = [];
  for await (const item of queryIndex({
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': Keys.studiesOfPatient(tenant, patientId) },
    ScanIndexForward: false,
    Limit: Math.min(limit, 100),
  })) {
    studies.push({
      study: studyOfPartition(String(item.pk)),
      dicom: JSON.parse(String(item.dicom ?? '{}')) as DicomJsonDataset,
      modalities: [...((item.modalities as Set<string> | undefined) ?? [])].sort(),
    });
    if (studies.length >= limit) break;
  }
  return studies;
}
