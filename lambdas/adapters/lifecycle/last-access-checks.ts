/**
 * The last-access check items (core/lifecycle/last-access.ts): put when a study is indexed and
 * when a check schedules the next, Queried by due day, deleted once handled. Puts are idempotent
 * (the key is the day and the study), so a retried write or a second STOW that day adds nothing.
 */
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { duePartition, dueKey, dueThroughKey, studyOfDueKey } from '#core/lifecycle/last-access.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';

export interface LastAccessCheck {
  tenant: string;
  day: string;
  study: string;
  /** A retry after failed checks: how many failed in a row, and the last error's name. */
  attempts?: number | undefined;
  error?: string | undefined;
}

/** One PutItem each (a study or two per request: no batch grant needed by every indexing function). */
export async function putLastAccessChecks(checks: readonly LastAccessCheck[]): Promise<void> {
  await Promise.all(
    checks.map(({ tenant, day, study, attempts, error }) =>
      documentClient().send(
        new PutCommand({ TableName: config.indexTable(), Item: { ...dueKey(tenant, day, study), type: 'lifecycle-due', study, ...(attempts ? { attempts, error: error ?? 'unknown' } : {}) } }),
      ),
    ),
  );
}

/** Up to `limit` checks of the tenant due on or before `day`, oldest first. */
export async function dueLastAccessChecks(tenant: string, day: string, limit: number): Promise<{ sk: string; study: string; attempts: number }[]> {
  const result = await documentClient().send(
    new QueryCommand({
      TableName: config.indexTable(),
      KeyConditionExpression: 'pk = :pk AND sk <= :through',
      ExpressionAttributeValues: { ':pk': duePartition(tenant), ':through': dueThroughKey(day) },
      ProjectionExpression: 'sk, attempts',
      Limit: limit,
    }),
  );
  return (result.Items ?? []).map((item) => ({ sk: String(item.sk), study: studyOfDueKey(String(item.sk)), attempts: Number(item.attempts ?? 0) }));
}

export async function deleteLastAccessChecks(tenant: string, sks: readonly string[]): Promise<void> {
  await Promise.all(sks.map((sk) => documentClient().send(new DeleteCommand({ TableName: config.indexTable(), Key: { pk: duePartition(tenant), sk } }))));
}

/** The same item written by UpdateItem (which creates it): what the read functions, granted UpdateItem for the access note, can do. */
export async function touchLastAccessCheck(tenant: string, day: string, study: string): Promise<void> {
  await documentClient().send(
    new UpdateCommand({ TableName: config.indexTable(), Key: dueKey(tenant, day, study), UpdateExpression: 'SET #type = :type, study = :study', ExpressionAttributeNames: { '#type': 'type' }, ExpressionAttributeValues: { ':type': 'lifecycle-due', ':study': study } }),
  );
}
