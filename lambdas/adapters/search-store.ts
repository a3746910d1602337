/**
 * The index reads behind QIDO-RS. Each function is one designed access pattern
 * (docs/data-model.md) — GetItem, BatchGetItem or Query on the table or a GSI, never a Scan —
 * and adds the read capacity it consumed to the caller's meter.
 */
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import type { ColdCounts } from '#core/lifecycle/availability.ts';
import { instanceOfSortKey, Keys, studyOfPartition } from '#core/index-keys.ts';
import type { DateRange } from '#core/qido/query-plan.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from './aws-clients.ts';
import { fromInstanceItem, type InstanceRecord } from './index-store.ts';
import { queryIndex, seriesItemsOf, type ReadMeter } from './index-query.ts';

export type { ReadMeter };

export interface StudyRow {
  study: string;
  dicom: DicomJsonDataset;
  nSeries: number;
  nInstances: number;
  modalities: string[];
  sopClasses: string[];
  /** Instances that cannot be read now (kept by the tier events, adapters/restores/instance-tier.ts). */
  cold: ColdCounts;
}

export interface SeriesRow {
  study: string;
  series: string;
  dicom: DicomJsonDataset;
  nInstances: number;
  cold: ColdCounts;
}

const db = documentClient;

const PAGE = 100;
const BATCH_GET_KEYS = 100; // DynamoDB's limit per BatchGetItem
/** Reads one request keeps in flight: a long UID list is fast without flooding the table. */
const CONCURRENT_READS = 16;

/** `work` on every item, at most `limit` at a time; results in the items' order. */
async function mapBounded<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!);
      }
    }),
  );
  return results;
}

async function batchGet(keys: Record<string, string>[], meter: ReadMeter): Promise<Record<string, unknown>[]> {
  const batches = Array.from({ length: Math.ceil(keys.length / BATCH_GET_KEYS) }, (_, i) => keys.slice(i * BATCH_GET_KEYS, (i + 1) * BATCH_GET_KEYS));
  const pages = await mapBounded(batches, CONCURRENT_READS, async (batch) => {
    const items: Record<string, unknown>[] = [];
    let request: Record<string, { Keys: Record<string, string>[] }> | undefined = { [config.indexTable()]: { Keys: batch } };
    while (request && Object.keys(request).length) {
      const result = await db().send(new BatchGetCommand({ RequestItems: request, ReturnConsumedCapacity: 'TOTAL' }));
      for (const consumed of result.ConsumedCapacity ?? []) meter.readUnits += consumed.CapacityUnits ?? 0;
      items.push(...(result.Responses?.[config.indexTable()] ?? []));
      request = result.UnprocessedKeys as typeof request;
    }
    return items;
  });
  return pages.flat();
}

export function toStudyRow(item: Record<string, unknown>): StudyRow {
  return {
    study: studyOfPartition(String(item.pk)),
    dicom: JSON.parse(String(item.dicom ?? '{}')) as DicomJsonDataset,
    nSeries: Number(item.nSeries ?? 0),
    nInstances: Number(item.nInstances ?? 0),
    modalities: [...((item.modalities as Set<string> | undefined) ?? [])].sort(),
    sopClasses: [...((item.sopClasses as Set<string> | undefined) ?? [])].sort(),
    cold: coldCountsOf(item),
  };
}

const coldCountsOf = (item: Record<string, unknown>): ColdCounts => ({ nearline: Number(item.nNearline ?? 0), offline: Number(item.nOffline ?? 0) });

function toSeriesRow(item: Record<string, unknown>): SeriesRow {
  return {
    study: studyOfPartition(String(item.pk)),
    series: String(item.sk).slice(Keys.seriesOfStudyPrefix.length),
    dicom: JSON.parse(String(item.dicom ?? '{}')) as DicomJsonDataset,
    nInstances: Number(item.nInstances ?? 0),
    cold: coldCountsOf(item),
  };
}

/** Study items by Study Instance UID (BatchGetItem). */
export async function studiesByUid(tenant: string, uids: string[], meter: ReadMeter): Promise<StudyRow[]> {
  const items = await batchGet(uids.map((uid) => Keys.study(tenant, uid)), meter);
  return items.map(toStudyRow);
}

const dateBounds = (dates: DateRange) => ({ from: dates.from ?? '', to: `${dates.to ?? '99999999'}~` });
/** A reversed range matches nothing; DynamoDB would refuse its BETWEEN as a ValidationException. */
const isEmpty = ({ from, to }: { from: string; to: string }) => from > to;

/** Studies of a patient (GSI1), newest first, optionally within a StudyDate range. */
export async function* studiesOfPatient(tenant: string, patientId: string, dates: DateRange, meter: ReadMeter): AsyncGenerator<StudyRow> {
  const { from, to } = dateBounds(dates);
  if (isEmpty({ from, to })) return;
  for await (const item of queryIndex(
    {
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': Keys.studiesOfPatient(tenant, patientId), ':from': from, ':to': to },
      ScanIndexForward: false,
      Limit: PAGE,
    },
    meter,
  ))
    yield toStudyRow(item);
}

/** Studies with an accession number (GSI2). */
export async function studiesByAccession(tenant: string, accession: string, meter: ReadMeter): Promise<StudyRow[]> {
  const rows: StudyRow[] = [];
  for await (const item of queryIndex(
    { IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :pk', ExpressionAttributeValues: { ':pk': Keys.studiesByAccession(tenant, accession) } },
    meter,
  ))
    rows.push(toStudyRow(item));
  return rows;
}

/** All studies of the tenant by StudyDate+StudyTime (GSI3), newest first, optionally within a range. */
export async function* studiesByDate(tenant: string, dates: DateRange, meter: ReadMeter): AsyncGenerator<StudyRow> {
  const { from, to } = dateBounds(dates);
  if (isEmpty({ from, to })) return;
  for await (const item of queryIndex(
    {
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk AND gsi3sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': Keys.studiesByDate(tenant), ':from': from, ':to': to },
      ScanIndexForward: false,
      Limit: PAGE,
    },
    meter,
  ))
    yield toStudyRow(item);
}

/** Study UIDs whose patient name has a token starting with `token` (name-token items). */
export async function studiesByNameToken(tenant: string, token: string, meter: ReadMeter, cap: number): Promise<string[]> {
  const studies = new Set<string>();
  for await (const item of queryIndex(
    {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :token)',
      ExpressionAttributeValues: { ':pk': Keys.nameTokenPartition(tenant, token), ':token': token },
      ProjectionExpression: 'study',
    },
    meter,
  )) {
    studies.add(String(item.study));
    if (studies.size > cap) break;
  }
  return [...studies];
}

/** The series of a study: one Query on the study partition. */
export async function seriesOfStudy(tenant: string, study: string, meter: ReadMeter): Promise<SeriesRow[]> {
  const rows: SeriesRow[] = [];
  for await (const item of seriesItemsOf(tenant, study, {}, meter)) rows.push(toSeriesRow(item));
  return rows;
}

/** Series by Series Instance UID alone (GSI2 on series items). */
export async function seriesByUid(tenant: string, uid: string, meter: ReadMeter): Promise<SeriesRow[]> {
  const rows: SeriesRow[] = [];
  for await (const item of queryIndex(
    { IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :pk', ExpressionAttributeValues: { ':pk': Keys.seriesByUid(tenant, uid) } },
    meter,
  ))
    rows.push(toSeriesRow(item));
  return rows;
}

/** An instance by SOP Instance UID alone (GSI1 on instance items). */
export async function instancesBySop(tenant: string, sops: string[], meter: ReadMeter): Promise<InstanceRecord[]> {
  const perSop = await mapBounded(sops, CONCURRENT_READS, async (sop) => {
    const rows: InstanceRecord[] = [];
    for await (const item of queryIndex(
      { IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': Keys.instanceBySop(tenant, sop).gsi1pk } },
      meter,
    )) {
      rows.push(fromInstanceItem(item, { tenant, study: studyOfPartition(String(item.pk)), ...instanceOfSortKey(String(item.sk)) }));
    }
    return rows;
  });
  return perSop.flat();
}

/** Instances of one series by SOP Instance UID: their item keys are known, so BatchGetItem. */
export async function instancesByKey(tenant: string, study: string, series: string, sops: string[], meter: ReadMeter): Promise<InstanceRecord[]> {
  const items = await batchGet(sops.map((sop) => Keys.instance({ tenant, study, series, sop })), meter);
  return items.map((item) => fromInstanceItem(item, { tenant, study, ...instanceOfSortKey(String(item.sk)) }));
}
