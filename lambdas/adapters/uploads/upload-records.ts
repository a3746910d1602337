/**
 * Presigned uploads in the index table (core/index-keys.ts `Keys.upload`, `Keys.uploadFile`):
 * one partition per upload, read by one Query (the report) or one GetItem (a file, for the
 * indexer and the completion). A file's state only moves forward, each step conditional on the
 * one before, so a duplicate event or a retried completion changes nothing.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Keys } from '#core/index-keys.ts';
import type { FileResult, FileState, UploadFileRecord, UploadRecord } from '#core/uploads/upload-record.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { appliedIf } from '#adapters/conditional-write.ts';
import { queryIndex } from '#adapters/index-query.ts';

const db = documentClient;

/** Writes the upload's items: the files first, the upload last, so a report never lacks a file it counts. */
export async function putUpload(upload: UploadRecord, files: readonly UploadFileRecord[]): Promise<void> {
  const put = (Item: Record<string, unknown>) => db().send(new PutCommand({ TableName: config.indexTable(), Item, ConditionExpression: 'attribute_not_exists(pk)' }));
  for (let i = 0; i < files.length; i += 16) {
    await Promise.all(files.slice(i, i + 16).map((file) => put({ ...Keys.uploadFile(upload.tenant, upload.id, file.file), ...file })));
  }
  await put({ ...Keys.upload(upload.tenant, upload.id), ...upload });
}

const withoutKeys = ({ pk: _pk, sk: _sk, ...rest }: Record<string, unknown>) => rest;

/** The upload and its files; `undefined` when the tenant has no such upload. */
export async function readUpload(tenant: string, id: string): Promise<{ upload: UploadRecord; files: UploadFileRecord[] } | undefined> {
  let upload: UploadRecord | undefined;
  const files: UploadFileRecord[] = [];
  for await (const item of queryIndex({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': Keys.upload(tenant, id).pk }, ConsistentRead: true })) {
    if (item.sk === 'UPLOAD') upload = withoutKeys(item) as unknown as UploadRecord;
    else if (String(item.sk).startsWith(Keys.uploadFilesPrefix)) files.push(withoutKeys(item) as unknown as UploadFileRecord);
  }
  return upload ? { upload, files } : undefined;
}

export async function getUpload(tenant: string, id: string): Promise<UploadRecord | undefined> {
  const { Item } = await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.upload(tenant, id), ConsistentRead: true }));
  return Item ? (withoutKeys(Item) as unknown as UploadRecord) : undefined;
}

export async function getUploadFile(tenant: string, id: string, file: number): Promise<UploadFileRecord | undefined> {
  const { Item } = await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.uploadFile(tenant, id, file), ConsistentRead: true }));
  return Item ? (withoutKeys(Item) as unknown as UploadFileRecord) : undefined;
}

/** uploading → uploaded (the client completed it); false when it had already moved on. */
export function markUploaded(tenant: string, id: string, file: number): Promise<boolean> {
  return appliedIf(
    db().send(
      new UpdateCommand({
        TableName: config.indexTable(),
        Key: Keys.uploadFile(tenant, id, file),
        UpdateExpression: 'SET #state = :uploaded',
        ConditionExpression: '#state = :uploading',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':uploaded': 'uploaded', ':uploading': 'uploading' },
      }),
    ),
  );
}

/** The file's final state and result, once: false when an earlier event already recorded one. */
export function recordFileOutcome(tenant: string, id: string, file: number, state: FileState, result: FileResult, at: Date): Promise<boolean> {
  return appliedIf(
    db().send(
      new UpdateCommand({
        TableName: config.indexTable(),
        Key: Keys.uploadFile(tenant, id, file),
        UpdateExpression: 'SET #state = :state, #result = :result, indexedAt = :at',
        ConditionExpression: '#state IN (:uploading, :uploaded)',
        ExpressionAttributeNames: { '#state': 'state', '#result': 'result' },
        ExpressionAttributeValues: { ':state': state, ':result': result, ':at': at.toISOString(), ':uploading': 'uploading', ':uploaded': 'uploaded' },
      }),
    ),
  );
}
