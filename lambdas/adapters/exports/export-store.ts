/**
 * Discovery exports in the index table (core/exports/export-keys.ts): the export item, its
 * progress counters, and one row per copied file. Every access is a GetItem, Query, PutItem or
 * UpdateItem on a designed key; a file row is written once (conditional), and only the write
 * that created it adds to the counters, so a retried or repeated copy never counts twice.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ExportKeys } from '#core/exports/export-keys.ts';
import type { ExportProgress, ExportRecord, ExportStatus } from '#core/exports/export.ts';
import type { ManifestRow } from '#core/exports/manifest.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { queryIndex } from '#adapters/index-query.ts';

const db = documentClient;

function toRecord(item: Record<string, unknown>): ExportRecord {
  const { pk: _pk, sk: _sk, type: _type, studies, ...rest } = item;
  return { ...(rest as unknown as Omit<ExportRecord, 'studies'>), studies: [...((studies as Set<string> | undefined) ?? [])].sort() };
}

/** Creates the export item (an id is never reused). */
export async function putExport(record: ExportRecord): Promise<void> {
  const { studies, ...rest } = record;
  await db().send(
    new PutCommand({
      TableName: config.indexTable(),
      Item: { ...ExportKeys.export(record.tenant, record.id), type: 'export', ...rest, ...(studies.length ? { studies: new Set(studies) } : {}) },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function getExport(tenant: string, id: string): Promise<ExportRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: config.indexTable(), Key: ExportKeys.export(tenant, id), ConsistentRead: true }));
  return result.Item ? toRecord(result.Item) : undefined;
}

/** A tenant's exports, newest first, without their study lists (one Query on its exports partition). */
export async function listExports(tenant: string): Promise<(Omit<ExportRecord, 'studies'> & { studyCount: number })[]> {
  const found: (Omit<ExportRecord, 'studies'> & { studyCount: number })[] = [];
  for await (const item of queryIndex({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': ExportKeys.exportsOfTenant(tenant), ':prefix': ExportKeys.exportsPrefix },
  })) {
    const { studies, ...rest } = toRecord(item);
    found.push({ ...rest, studyCount: studies.length });
  }
  return found.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

const update = (tenant: string, id: string, expression: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>) =>
  db().send(new UpdateCommand({ TableName: config.indexTable(), Key: ExportKeys.export(tenant, id), ...expression }));

/** The instances and bytes in scope, once counted. */
export async function setExportTotals(tenant: string, id: string, totals: Pick<ExportProgress, 'instances' | 'bytes'>): Promise<void> {
  await update(tenant, id, { UpdateExpression: 'SET progress.instances = :i, progress.#bytes = :b', ExpressionAttributeNames: { '#bytes': 'bytes' }, ExpressionAttributeValues: { ':i': totals.instances, ':b': totals.bytes } });
}

/**
 * Records one copied file and counts it, in one transaction; false when a row for it exists
 * already (a retried page), in which case nothing is counted again.
 */
export async function recordCopiedFile(tenant: string, exportId: string, row: ManifestRow): Promise<boolean> {
  const TableName = config.indexTable();
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName, Item: { ...ExportKeys.file(tenant, exportId, row), ...row }, ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Update: {
              TableName,
              Key: ExportKeys.export(tenant, exportId),
              UpdateExpression: 'ADD progress.copied :one, progress.bytesCopied :size, progress.mismatches :bad',
              ExpressionAttributeValues: { ':one': 1, ':size': row.size, ':bad': row.sha256AtIngest === row.sha256AtExport ? 0 : 1 },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
    throw error;
  }
}

/** The SOP Instance UIDs of a study already copied into the package. */
export async function copiedOfStudy(tenant: string, exportId: string, study: string): Promise<Set<string>> {
  const copied = new Set<string>();
  for await (const item of queryIndex({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': ExportKeys.filesOfExport(tenant, exportId), ':prefix': ExportKeys.filesOfStudyPrefix(study) },
    ProjectionExpression: 'sop',
  })) {
    copied.add(String(item.sop));
  }
  return copied;
}

const toRow = (item: Record<string, unknown>): ManifestRow => ({
  patientId: String(item.patientId ?? ''),
  study: String(item.study),
  series: String(item.series),
  sop: String(item.sop),
  path: String(item.path),
  size: Number(item.size),
  sha256AtIngest: String(item.sha256AtIngest),
  sha256AtExport: String(item.sha256AtExport),
});

/** Every copied file of an export (the manifest's rows), in key order. */
export async function* copiedFiles(tenant: string, exportId: string): AsyncGenerator<ManifestRow> {
  for await (const item of queryIndex({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': ExportKeys.filesOfExport(tenant, exportId), ':prefix': ExportKeys.filesPrefix },
  })) {
    yield toRow(item);
  }
}

/** One page of copied files after `after` (a file's sort key, as the previous page's `next`). */
export async function pageOfCopiedFiles(tenant: string, exportId: string, limit: number, after?: string): Promise<{ rows: ManifestRow[]; next?: string }> {
  const pk = ExportKeys.filesOfExport(tenant, exportId);
  const page = await db().send(
    new QueryCommand({
      TableName: config.indexTable(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': ExportKeys.filesPrefix },
      Limit: limit,
      ...(after ? { ExclusiveStartKey: { pk, sk: after } } : {}),
    }),
  );
  const next = page.LastEvaluatedKey?.sk;
  return { rows: (page.Items ?? []).map(toRow), ...(next === undefined ? {} : { next: String(next) }) };
}

/** After a copy round: how many instances still wait for their restore; returns the rounds done. */
export async function endRound(tenant: string, id: string, waiting: number): Promise<number> {
  const status: ExportStatus = waiting > 0 ? 'WAITING_FOR_RESTORE' : 'RUNNING';
  const result = await update(tenant, id, {
    UpdateExpression: 'SET progress.waitingForRestore = :w, #status = :s ADD progress.rounds :one',
    ConditionExpression: '#status IN (:running, :waiting)',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':w': waiting, ':s': status, ':one': 1, ':running': 'RUNNING', ':waiting': 'WAITING_FOR_RESTORE' },
    ReturnValues: 'ALL_NEW',
  });
  return Number((result.Attributes?.progress as ExportProgress | undefined)?.rounds ?? 0);
}

export async function completeExport(tenant: string, id: string, completedAt: string, summarySha256: string, holdReleasedAt?: string): Promise<void> {
  await update(tenant, id, {
    UpdateExpression: `SET #status = :done, completedAt = :at, summarySha256 = :sha, progress.waitingForRestore = :zero${holdReleasedAt ? ', holdReleasedAt = :released' : ''}`,
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':done': 'COMPLETED', ':at': completedAt, ':sha': summarySha256, ':zero': 0, ...(holdReleasedAt ? { ':released': holdReleasedAt } : {}) },
  });
}

export async function failExport(tenant: string, id: string, at: string, error: string): Promise<void> {
  await update(tenant, id, {
    UpdateExpression: 'SET #status = :failed, completedAt = :at, #error = :error',
    ConditionExpression: '#status <> :done',
    ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
    ExpressionAttributeValues: { ':failed': 'FAILED', ':done': 'COMPLETED', ':at': at, ':error': error },
  });
}
