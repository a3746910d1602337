/**
 * The index table (docs/data-model.md): study, series and instance items in one table,
 * written together in DynamoDB transactions so the computed counts (NumberOfStudyRelated…)
 * never drift from the instances, and each instance is created exactly once.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import type { ByteRange } from '#core/dicom/frames.ts';
import { Keys, type InstanceIdentity } from '#core/index-keys.ts';
import { nameTokens } from '#core/qido/matching.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from './aws-clients.ts';
import { queryIndex, type ReadMeter } from './index-query.ts';

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
  /** Earlier versions of the instance, whose objects are kept (docs/decisions/0002). */
  previousVersions?: InstanceVersion[];
  /** Where each frame's bytes are in the object (frames then need one ranged read each). */
  frameRanges?: ByteRange[][] | undefined;
}

export interface StoreOutcome {
  created: InstanceRecord[];
  /** Already indexed with the same bytes: nothing changed. */
  unchanged: InstanceRecord[];
  /** Already indexed with other bytes: the new bytes became the current version. */
  replaced: { record: InstanceRecord; previous: InstanceRecord }[];
}

export interface InstanceVersion {
  sha256: string;
  objectKey: string;
  size: number;
  transferSyntaxUID: string;
  ingestedAt: string;
}

type Transact = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const MAX_ACTIONS = 100; // DynamoDB's limit per TransactWriteItems
const MAX_ATTEMPTS = 8; // transaction conflicts on a busy study are retried with jittered backoff
const NAME_TOKEN_RESERVE = 10; // room left in each transaction for the name-token puts

const db = documentClient;

export async function storeInstanceRecords(records: InstanceRecord[]): Promise<StoreOutcome> {
  const outcome: StoreOutcome = { created: [], unchanged: [], replaced: [] };
  // A transaction may touch an item once, so copies of one SOP Instance in a request go in
  // successive rounds (the later ones become versions of the first).
  for (const round of rounds(records)) {
    for (const group of groupBy(round, (r) => `${r.id.tenant}|${r.id.study}`).values()) {
      const reserved = 1 + new Set(group.map((r) => r.id.series)).size + NAME_TOKEN_RESERVE;
      for (const chunk of chunks(group, MAX_ACTIONS - reserved)) {
        const result = await storeStudyChunk(chunk);
        outcome.created.push(...result.created);
        outcome.unchanged.push(...result.unchanged);
        outcome.replaced.push(...result.replaced);
      }
    }
  }
  return outcome;
}

function rounds(records: InstanceRecord[]): InstanceRecord[][] {
  const result: InstanceRecord[][] = [];
  const seen = new Map<string, number>();
  for (const record of records) {
    const key = `${record.id.tenant}|${record.id.study}|${record.id.series}|${record.id.sop}`;
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    (result[round] ??= []).push(record);
  }
  return result;
}

/** One transaction: the new instances, their series (created or counted) and the study. */
async function storeStudyChunk(records: InstanceRecord[]): Promise<StoreOutcome> {
  const outcome: StoreOutcome = { created: [], unchanged: [], replaced: [] };
  let pending = records;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const knownSeries = await existingSeries(pending);
    const items = transactionItems(pending, knownSeries);
    try {
      await db().send(new TransactWriteCommand({ TransactItems: items.actions }));
      outcome.created.push(...pending);
      return outcome;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException) || attempt >= MAX_ATTEMPTS) throw error;
      const reasons = error.CancellationReasons ?? [];
      const duplicates = new Set<InstanceRecord>();
      for (const [index, reason] of reasons.entries()) {
        const record = items.instanceAt.get(index);
        if (record && reason.Code === 'ConditionalCheckFailed') duplicates.add(record);
      }
      const settled = new Set<InstanceRecord>();
      for (const record of duplicates) {
        const result = await settleExisting(record);
        if (result === undefined) continue; // deleted meanwhile: create it on the next attempt
        if (result === 'unchanged') outcome.unchanged.push(record);
        else outcome.replaced.push({ record, previous: result });
        settled.add(record);
      }
      pending = pending.filter((record) => !settled.has(record));
      // Other reasons (a series created concurrently, a transaction conflict): back off and re-plan.
      if (duplicates.size === 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt * Math.random()));
    }
  }
  return outcome;
}

/**
 * An instance that is already indexed: the same bytes change nothing; other bytes become the
 * current version and the previous one is kept in the item's version history (its object is
 * never deleted). Returns the replaced version, 'unchanged', or undefined if the item vanished.
 */
async function settleExisting(record: InstanceRecord): Promise<InstanceRecord | 'unchanged' | undefined> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await getInstanceRecord(record.id);
    if (!stored) return undefined;
    if (stored.sha256 === record.sha256) return 'unchanged';
    const previous: InstanceVersion = {
      sha256: stored.sha256,
      objectKey: stored.objectKey,
      size: stored.size,
      transferSyntaxUID: stored.transferSyntaxUID,
      ingestedAt: stored.ingestedAt,
    };
    try {
      await db().send(
        new UpdateCommand({
          TableName: config.indexTable(),
          Key: Keys.instance(record.id),
          UpdateExpression:
            'SET sha256 = :sha, objectKey = :key, #size = :size, transferSyntaxUID = :ts, storageClass = :class, ' +
            'ingestedAt = :at, dicom = :dicom, previousVersions = list_append(if_not_exists(previousVersions, :none), :previous), frames = :frames',
          ConditionExpression: 'sha256 = :expected',
          ExpressionAttributeNames: { '#size': 'size' },
          ExpressionAttributeValues: {
            ':sha': record.sha256,
            ':key': record.objectKey,
            ':size': record.size,
            ':ts': record.transferSyntaxUID,
            ':class': record.storageClass,
            ':at': record.ingestedAt,
            ':dicom': JSON.stringify(record.instance),
            ':frames': record.frameRanges ?? null,
            ':none': [],
            ':previous': [previous],
            ':expected': stored.sha256,
          },
        }),
      );
      return stored;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }
  throw new Error(`instance ${record.id.sop} kept changing while a new version was stored`);
}

function transactionItems(records: InstanceRecord[], knownSeries: Set<string>) {
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
        Put: {
          TableName,
          Item: {
            ...key,
            type: 'series',
            gsi2pk: Keys.seriesByUid(tenant, series),
            gsi2sk: 'SERIES',
            dicom: JSON.stringify(head.series),
            modality: head.modality,
            nInstances: members.length,
            createdAt: now,
            updatedAt: now,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
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
  for (const token of [...new Set(nameTokens(patientName(first.study)))].slice(0, NAME_TOKEN_RESERVE)) {
    actions.push({ Put: { TableName, Item: { ...Keys.nameToken(tenant, token, study), type: 'name', study } } });
  }
  actions.push({
    Update: {
      TableName,
      Key: Keys.study(tenant, study),
      UpdateExpression: `SET ${sets.join(', ')} ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  });
  return { actions, instanceAt };
}

function instanceItem(record: InstanceRecord): Record<string, unknown> {
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
  };
}

async function existingSeries(records: InstanceRecord[]): Promise<Set<string>> {
  const { tenant, study } = records[0]!.id;
  const found = new Set<string>();
  for (const series of new Set(records.map((r) => r.id.series))) {
    const item = await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.series(tenant, study, series), ProjectionExpression: 'pk' }));
    if (item.Item) found.add(series);
  }
  return found;
}

export async function getInstanceRecord(id: InstanceIdentity): Promise<InstanceRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.instance(id), ConsistentRead: true }));
  return result.Item ? fromInstanceItem(result.Item, id) : undefined;
}

/** Instances of a study, or of one of its series, in UID order (one Query on the study partition). */
export async function listInstanceRecords(tenant: string, study: string, series?: string, meter?: ReadMeter): Promise<InstanceRecord[]> {
  const records: InstanceRecord[] = [];
  for await (const item of queryIndex(
    {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': Keys.study(tenant, study).pk, ':prefix': series ? Keys.instancesOfSeriesPrefix(series) : Keys.instancesOfStudyPrefix },
    },
    meter,
  )) {
    const [, seriesUid, sop] = String(item.sk).split('#');
    records.push(fromInstanceItem(item, { tenant, study, series: seriesUid!, sop: sop! }));
  }
  return records;
}

/**
 * Records the storage class S3 reports after a lifecycle transition, if the object is the
 * instance's current version (older versions move tiers without changing what is served).
 */
export async function setInstanceStorageClass(id: InstanceIdentity, sha256: string, storageClass: string, at: string): Promise<boolean> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: config.indexTable(),
        Key: Keys.instance(id),
        UpdateExpression: 'SET storageClass = :c, storageClassChangedAt = :at',
        ConditionExpression: 'sha256 = :sha',
        ExpressionAttributeValues: { ':c': storageClass, ':at': at, ':sha': sha256 },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/** A cheap read that proves the table is reachable. */
export async function pingIndex(): Promise<void> {
  await db().send(new GetCommand({ TableName: config.indexTable(), Key: { pk: 'HEALTH', sk: 'HEALTH' } }));
}

/** Every group of the PatientName (Alphabetic, Ideographic, Phonetic), for the name index. */
function patientName(dataset: DicomJsonDataset): string {
  const value = dataset['00100010']?.Value?.[0];
  if (!value || typeof value !== 'object') return '';
  return Object.values(value as Record<string, string>).join('=');
}

const stringOf = (dataset: DicomJsonDataset, tag: string) => {
  const value = dataset[tag]?.Value?.[0];
  return typeof value === 'string' ? value : '';
};

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size)) out.push(items.slice(i, i + Math.max(1, size)));
  return out;
}
