/**
 * Reads and corrections for the count reconciliation (services/maintenance/reconcile-counts.ts).
 * Studies are walked through gsi3 (`T#<t>#STUDIES`), and each study's truth is one Query of its
 * own partition: no scans. Every correction is conditional on the value it replaces, so a STOW
 * or DELETE that commits meanwhile makes it fail (and be re-read) rather than be overwritten.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { instanceOfSortKey, Keys, studyOfPartition } from '#core/index-keys.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from './aws-clients.ts';
import { instanceItemsOf, seriesItemsOf } from './index-query.ts';
import { seriesItem } from './study-transaction.ts';
import { appliedIf, conditionFailed } from './conditional-write.ts';

const db = documentClient;

/**
 * One page of a tenant's studies, newest first. Each comes with the cursor that continues the
 * walk after it, so a caller short of time can stop after any study.
 */
export async function studyPage(tenant: string, cursor: string | undefined, limit: number): Promise<{ studies: { study: string; cursor: string }[]; more: boolean }> {
  const page = await db().send(
    new QueryCommand({
      TableName: config.indexTable(),
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk',
      ExpressionAttributeValues: { ':pk': Keys.studiesByDate(tenant) },
      ProjectionExpression: 'pk, sk, gsi3pk, gsi3sk',
      ScanIndexForward: false,
      Limit: limit,
      ...(cursor ? { ExclusiveStartKey: JSON.parse(cursor) as Record<string, unknown> } : {}),
    }),
  );
  return {
    studies: (page.Items ?? []).map((item) => ({
      study: studyOfPartition(String(item.pk)),
      cursor: JSON.stringify({ pk: item.pk, sk: item.sk, gsi3pk: item.gsi3pk, gsi3sk: item.gsi3sk }),
    })),
    more: page.LastEvaluatedKey !== undefined,
  };
}

export interface StudySummary {
  nInstances: number;
  nSeries: number;
  modalities: string[];
  sopClasses: string[];
  series: Map<string, number>; // series UID → nInstances
}

/** What the study and series items say (consistent reads), or undefined without a study item. */
export async function readStudySummary(tenant: string, study: string): Promise<StudySummary | undefined> {
  const item = (await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.study(tenant, study), ConsistentRead: true }))).Item;
  if (!item) return undefined;
  const series = new Map<string, number>();
  for await (const s of seriesItemsOf(tenant, study, { ProjectionExpression: 'sk, nInstances', ConsistentRead: true }))
    series.set(String(s.sk).slice(Keys.seriesOfStudyPrefix.length), Number(s.nInstances ?? 0));
  return {
    nInstances: Number(item.nInstances ?? 0),
    nSeries: Number(item.nSeries ?? 0),
    modalities: [...((item.modalities as Set<string> | undefined) ?? [])].sort(),
    sopClasses: [...((item.sopClasses as Set<string> | undefined) ?? [])].sort(),
    series,
  };
}

export interface InstanceFacts {
  series: string;
  modality: string;
  sopClassUID: string;
}

/** The instances of a study as they are (consistent Query, only the attributes counts derive from). */
export async function readInstanceFacts(tenant: string, study: string): Promise<InstanceFacts[]> {
  const facts: InstanceFacts[] = [];
  for await (const item of instanceItemsOf(tenant, study, undefined, { ProjectionExpression: 'sk, modality, sopClassUID', ConsistentRead: true }))
    facts.push({ series: instanceOfSortKey(String(item.sk)).series, modality: String(item.modality ?? ''), sopClassUID: String(item.sopClassUID ?? '') });
  return facts;
}


/** Sets the study's counts and sets if they are still `seen`; false if they changed meanwhile. */
export async function correctStudySummary(tenant: string, study: string, seen: StudySummary, actual: Omit<StudySummary, 'series'>, at: string): Promise<boolean> {
  const sets = ['nInstances = :n', 'nSeries = :ns', 'sopClasses = :classes', 'reconciledAt = :at'];
  const values: Record<string, unknown> = { ':n': actual.nInstances, ':ns': actual.nSeries, ':seenN': seen.nInstances, ':seenS': seen.nSeries, ':at': at };
  // DynamoDB has no empty sets: an empty one is removed.
  const removes: string[] = [];
  if (actual.modalities.length) {
    sets.push('modalities = :mods');
    values[':mods'] = new Set(actual.modalities);
  } else removes.push('modalities');
  if (actual.sopClasses.length) values[':classes'] = new Set(actual.sopClasses);
  else {
    sets.splice(sets.indexOf('sopClasses = :classes'), 1);
    removes.push('sopClasses');
  }
  return appliedIf(
    db().send(
      new UpdateCommand({
        TableName: config.indexTable(),
        Key: Keys.study(tenant, study),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: 'nInstances = :seenN AND nSeries = :seenS',
        ExpressionAttributeValues: values,
      }),
    ),
  );
}

/** Sets a series' count if it is still `seen`; false if it changed meanwhile. */
export async function correctSeriesCount(tenant: string, study: string, series: string, seen: number, actual: number, at: string): Promise<boolean> {
  return appliedIf(
    db().send(
      new UpdateCommand({
        TableName: config.indexTable(),
        Key: Keys.series(tenant, study, series),
        UpdateExpression: 'SET nInstances = :n, reconciledAt = :at',
        ConditionExpression: 'nInstances = :seen',
        ExpressionAttributeValues: { ':n': actual, ':seen': seen, ':at': at },
      }),
    ),
  );
}

/** Removes a series summary none of whose instances exist, if its count is still `seen`. */
export async function deleteEmptySeries(tenant: string, study: string, series: string, seen: number): Promise<boolean> {
  return appliedIf(
    db().send(
      new DeleteCommand({ TableName: config.indexTable(), Key: Keys.series(tenant, study, series), ConditionExpression: 'nInstances = :seen', ExpressionAttributeValues: { ':seen': seen } }),
    ),
  );
}

/** Creates the missing summary of a series from one of its instances (unless one appeared meanwhile). */
export async function createSeriesSummary(tenant: string, study: string, series: string, nInstances: number, at: string): Promise<boolean> {
  const page = await db().send(
    new QueryCommand({
      TableName: config.indexTable(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': Keys.study(tenant, study).pk, ':prefix': Keys.instancesOfSeriesPrefix(series) },
      ProjectionExpression: 'seriesDicom, modality',
      ConsistentRead: true,
      Limit: 1,
    }),
  );
  const head = page.Items?.[0];
  if (!head) return false;
  const item = seriesItem(
    { id: { tenant, study, series, sop: '' }, series: JSON.parse(String(head.seriesDicom ?? '{}')) as DicomJsonDataset, modality: String(head.modality ?? '') },
    nInstances,
    at,
  );
  try {
    await db().send(new PutCommand({ TableName: config.indexTable(), Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    return true;
  } catch (error) {
    if (conditionFailed(error)) return false;
    throw error;
  }
}
