/**
 * One STOW transaction for one study (TransactWriteItems, ≤ 100 actions): each new instance
 * (created only if absent), its series (created, or counted), the study's counts, computed
 * attributes and search keys, and the name-token items for PatientName searches.
 */
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { personNameText, type DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { Keys } from '#core/index-keys.ts';
import { nameTokens } from '#core/qido/matching.ts';
import { config } from '#lambdas/config.ts';
import { ingested } from '#core/finance/usage.ts';
import { usageActions } from './finance/usage-store.ts';
import { instanceItem, type InstanceRecord } from './instance-items.ts';

type Transact = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export const NAME_TOKEN_RESERVE = 10; // room left in each transaction for the name-token puts

export function transactionItems(records: InstanceRecord[], knownSeries: Set<string>) {
  const TableName = config.indexTable();
  const first = records[0]!;
  const { tenant, study } = first.id;
  const now = first.ingestedAt;
  const actions: Transact[] = [];
  const instanceAt = new Map<number, InstanceRecord>();

  for (const record of records) {
    instanceAt.set(actions.length, record);
    actions.push({
      Put: {
        TableName,
        Item: instanceItem(record),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
  }
  let newSeries = 0;
  for (const [series, members] of groupBy(records, (r) => r.id.series)) {
    const key = Keys.series(tenant, study, series);
    if (knownSeries.has(series)) {
      actions.push({
        Update: {
          TableName,
          Key: key,
          UpdateExpression: 'ADD nInstances :n SET updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':n': members.length, ':now': now },
        },
      });
    } else {
      newSeries++;
      const head = members[0]!;
      actions.push({
        Put: { TableName, Item: seriesItem(head, members.length, now), ConditionExpression: 'attribute_not_exists(pk)' },
      });
    }
  }
  const modalities = [...new Set(records.map((r) => r.modality).filter(Boolean))];
  const sopClasses = [...new Set(records.map((r) => r.sopClassUID))];
  const patientId = stringOf(first.study, '00100020');
  const accession = stringOf(first.study, '00080050');
  const when = `${stringOf(first.study, '00080020') || '00000000'}${stringOf(first.study, '00080030') || ''}`;
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':json': JSON.stringify(first.study), ':now': now, ':n': records.length, ':ns': newSeries };
  const sets = [
    'dicom = if_not_exists(dicom, :json)',
    '#type = :type',
    'createdAt = if_not_exists(createdAt, :now)',
    'updatedAt = :now',
    'gsi3pk = if_not_exists(gsi3pk, :g3pk)',
    'gsi3sk = if_not_exists(gsi3sk, :g3sk)',
  ];
  names['#type'] = 'type';
  values[':type'] = 'study';
  values[':g3pk'] = Keys.studiesByDate(tenant);
  values[':g3sk'] = `${when}#${study}`;
  if (patientId) {
    sets.push('gsi1pk = if_not_exists(gsi1pk, :g1pk)', 'gsi1sk = if_not_exists(gsi1sk, :g1sk)');
    values[':g1pk'] = Keys.studiesOfPatient(tenant, patientId);
    values[':g1sk'] = `${when}#${study}`;
  }
  if (accession) {
    sets.push('gsi2pk = if_not_exists(gsi2pk, :g2pk)', 'gsi2sk = if_not_exists(gsi2sk, :g2sk)');
    values[':g2pk'] = Keys.studiesByAccession(tenant, accession);
    values[':g2sk'] = study;
  }
  const adds = ['nInstances :n', 'nSeries :ns', 'sopClasses :classes'];
  values[':classes'] = new Set(sopClasses);
  if (modalities.length) {
    adds.push('modalities :mods');
    values[':mods'] = new Set(modalities);
  }
  // Name-token items make PatientName prefix and fuzzy searches a Query (idempotent puts).
  for (const Item of nameTokenItems(tenant, study, first.study)) actions.push({ Put: { TableName, Item } });
  actions.push({
    Update: {
      TableName,
      Key: Keys.study(tenant, study),
      UpdateExpression: `SET ${sets.join(', ')} ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  });
  // The usage counters (docs/finance.md) change with the instances or not at all: a duplicate
  // push cancels this transaction on its instance item, so it never counts twice.
  actions.push(...usageActions(records.flatMap((r) => ingested({ tenant, modality: r.modality, size: r.size }, now)), study));
  return { actions, instanceAt };
}

/** A series summary, from one of its instances (STOW, and the count reconciliation when it is missing). */
export function seriesItem(head: Pick<InstanceRecord, 'id' | 'series' | 'modality'>, nInstances: number, now: string) {
  const { tenant, study, series } = head.id;
  return {
    ...Keys.series(tenant, study, series),
    type: 'series',
    gsi2pk: Keys.seriesByUid(tenant, series),
    gsi2sk: 'SERIES',
    dicom: JSON.stringify(head.series),
    modality: head.modality,
    nInstances,
    createdAt: now,
    updatedAt: now,
  };
}

/** Every group of the PatientName (Alphabetic, Ideographic, Phonetic), for the name index. */
const patientName = (dataset: DicomJsonDataset) => personNameText(dataset, '00100010');

/** The name-token items of a study (its PatientName's tokens), as STOW writes them and a rebuild puts them back. */
export const nameTokenItems = (tenant: string, study: string, dataset: DicomJsonDataset) =>
  [...new Set(nameTokens(patientName(dataset)))].slice(0, NAME_TOKEN_RESERVE).map((token) => ({ ...Keys.nameToken(tenant, token, study), type: 'name', study }));

const stringOf = (dataset: DicomJsonDataset, tag: string) => {
  const value = dataset[tag]?.Value?.[0];
  return typeof value === 'string' ? value : '';
};

export function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size)) out.push(items.slice(i, i + Math.max(1, size)));
  return out;
}
