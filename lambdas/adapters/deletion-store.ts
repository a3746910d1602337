/**
 * Index writes and reads for deletions: instances removed with their counts in one
 * transaction, and tombstones so a deleted resource answers 410 rather than 404. (Deletions
 * are audited in the audit trail, docs/audit.md.)
 */
import { BatchGetCommand, DeleteCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { Keys, type ResourceScope } from '#core/index-keys.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from './aws-clients.ts';
import type { InstanceRecord } from './index-store.ts';

const db = documentClient;

export type DeletedLevel = 'study' | 'series' | 'instance';


/** Removes index entries of instances of one series, with the counts, in one transaction. */
export async function deleteInstanceEntries(records: InstanceRecord[]): Promise<void> {
  if (records.length === 0) return;
  const { tenant, study, series } = records[0]!.id;
  const TableName = config.indexTable();
  await db().send(
    new TransactWriteCommand({
      TransactItems: [
        ...records.map((r) => ({ Delete: { TableName, Key: Keys.instance(r.id) } })),
        { Update: { TableName, Key: Keys.series(tenant, study, series), UpdateExpression: 'ADD nInstances :minus', ExpressionAttributeValues: { ':minus': -records.length } } },
        { Update: { TableName, Key: Keys.study(tenant, study), UpdateExpression: 'ADD nInstances :minus', ExpressionAttributeValues: { ':minus': -records.length } } },
      ],
    }),
  );
}

/** Removes a series summary once its instances are gone, and its modality from the study if no other series has it. */
export async function deleteSeriesEntry(tenant: string, study: string, series: string, remainingModalities: Set<string>, modality: string): Promise<void> {
  const TableName = config.indexTable();
  const removeModality = modality && !remainingModalities.has(modality);
  await db().send(
    new TransactWriteCommand({
      TransactItems: [
        { Delete: { TableName, Key: Keys.series(tenant, study, series) } },
        {
          Update: {
            TableName,
            Key: Keys.study(tenant, study),
            UpdateExpression: `ADD nSeries :minus${removeModality ? ' DELETE modalities :modality' : ''}`,
            ExpressionAttributeValues: { ':minus': -1, ...(removeModality ? { ':modality': new Set([modality]) } : {}) },
          },
        },
      ],
    }),
  );
}

/** Removes the study summary and its name tokens once its series are gone. */
export async function deleteStudyEntry(tenant: string, study: string): Promise<void> {
  const TableName = config.indexTable();
  await db().send(new DeleteCommand({ TableName, Key: Keys.study(tenant, study) }));
}

export async function putTombstone(level: DeletedLevel, id: ResourceScope, at: string): Promise<void> {
  await db().send(
    new PutCommand({
      TableName: config.indexTable(),
      Item: { ...Keys.tombstone(id.tenant, id.study, id.series, id.sop), type: 'tombstone', level, deletedAt: at },
    }),
  );
}

/** Whether the study, the series or the instance was deleted (one BatchGetItem). */
export async function wasDeleted(id: ResourceScope): Promise<boolean> {
  const keys = [Keys.tombstone(id.tenant, id.study)];
  if (id.series) keys.push(Keys.tombstone(id.tenant, id.study, id.series));
  if (id.series && id.sop) keys.push(Keys.tombstone(id.tenant, id.study, id.series, id.sop));
  const result = await db().send(new BatchGetCommand({ RequestItems: { [config.indexTable()]: { Keys: keys, ProjectionExpression: 'pk' } } }));
  return (result.Responses?.[config.indexTable()]?.length ?? 0) > 0;
}

/** When the instance, its series or its study was last deleted, if ever (one BatchGetItem). */
export async function lastDeletedAt(id: Required<ResourceScope>): Promise<string | undefined> {
  const keys = [Keys.tombstone(id.tenant, id.study), Keys.tombstone(id.tenant, id.study, id.series), Keys.tombstone(id.tenant, id.study, id.series, id.sop)];
  const result = await db().send(
    new BatchGetCommand({ RequestItems: { [config.indexTable()]: { Keys: keys, ProjectionExpression: 'deletedAt', ConsistentRead: true } } }),
  );
  return (result.Responses?.[config.indexTable()] ?? []).map((item) => String(item.deletedAt)).sort().at(-1);
}

export async function deleteItems(keys: { pk: string; sk: string }[]): Promise<void> {
  for (const key of keys) await db().send(new DeleteCommand({ TableName: config.indexTable(), Key: key }));
}
