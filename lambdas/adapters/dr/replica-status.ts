/**
 * Replication status per instance (docs/dr.md): the DR audit records on the instance item the
 * version it found replicated whole (`replicaSha256`, `replicaConfirmedAt`), once per version,
 * conditional on that version still being current, so a new version is never marked by an old audit.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Keys, type InstanceIdentity } from '#core/index-keys.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { appliedIf } from '#adapters/conditional-write.ts';

export function confirmReplica(id: InstanceIdentity, sha256: string, at: Date): Promise<boolean> {
  return appliedIf(
    documentClient().send(
      new UpdateCommand({
        TableName: config.indexTable(),
        Key: Keys.instance(id),
        UpdateExpression: 'SET replicaSha256 = :sha, replicaConfirmedAt = :at',
        ConditionExpression: 'sha256 = :sha',
        ExpressionAttributeValues: { ':sha': sha256, ':at': at.toISOString() },
      }),
    ),
  );
}
