/** The studies of a patient (GSI1 on study items, newest first): what a patient-wide restore or a prefetch covers. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { firstString, type DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { Keys, studyOfPartition } from '#core/index-keys.ts';
import type { StudySummary } from '#core/restores/prior-selection.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { queryIndex, seriesItemsOf } from '#adapters/index-query.ts';

const STUDY_DATE = '00080020';
const PATIENT_ID = '00100020';
const BODY_PART_EXAMINED = '00180015';

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

/** A study's item as prefetch reads it: its patient, date and modalities (GetItem); body parts from its series items (Query) when asked. */
export async function studySummaryOf(tenant: string, study: string, withBodyParts: boolean): Promise<(StudySummary & { patientId: string }) | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.study(tenant, study), ConsistentRead: true }));
  if (!Item) return undefined;
  const dicom = JSON.parse(String(Item.dicom ?? '{}')) as DicomJsonDataset;
  return {
    study,
    patientId: firstString(dicom, PATIENT_ID),
    studyDate: firstString(dicom, STUDY_DATE),
    modalities: [...((Item.modalities as Set<string> | undefined) ?? [])],
    bodyParts: withBodyParts ? await bodyPartsOf(tenant, study) : [],
  };
}

/** BodyPartExamined of each series of a study (series items, one Query). */
export async function bodyPartsOf(tenant: string, study: string): Promise<string[]> {
  const parts = new Set<string>();
  for await (const item of seriesItemsOf(tenant, study)) {
    const part = firstString(JSON.parse(String(item.dicom ?? '{}')) as DicomJsonDataset, BODY_PART_EXAMINED);
    if (part) parts.add(part.toUpperCase());
  }
  return [...parts];
}
