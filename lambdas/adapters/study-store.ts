/** Study-level reads and records of the index that are not part of ingest. */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Keys } from '#core/index-keys.ts';
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from './aws-clients.ts';
import { seriesItemsOf } from './index-query.ts';

const db = documentClient;

/** Series Instance UIDs of a study: one Query on the study partition. */
export async function listSeriesUids(tenant: string, study: string): Promise<string[]> {
  const uids: string[] = [];
  for await (const item of seriesItemsOf(tenant, study, { ProjectionExpression: 'sk' }))
    uids.push(String(item.sk).slice(Keys.seriesOfStudyPrefix.length));
  return uids;
}

/** The study-level DICOM JSON of a study (one GetItem); undefined when the index does not know it. */
export async function getStudyDataset(tenant: string, study: string): Promise<DicomJsonDataset | undefined> {
  const result = await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.study(tenant, study), ProjectionExpression: 'dicom' }));
  return result.Item ? (JSON.parse(String(result.Item.dicom ?? '{}')) as DicomJsonDataset) : undefined;
}

export interface FixityRecord {
  tenant: string;
  study: string;
  auditedAt: string;
  status: string;
  verified: number;
  mismatched: string[];
  missing: string[];
  cold: number;
  unverifiableSeries: string[];
}

/** Keeps each audit's outcome on the study partition (sk FIXITY#<time>), newest last. */
export async function putFixityRecord(record: FixityRecord): Promise<void> {
  await db().send(
    new PutCommand({
      TableName: config.indexTable(),
      Item: { ...Keys.fixityResult(record.tenant, record.study, record.auditedAt), type: 'fixity', ...record },
    }),
  );
}
