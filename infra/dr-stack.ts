/**
 * The disaster-recovery stack, deployed in another region (or account): the replica bucket
 * and its key, whose policies admit the primary's replication role (infra/constructs/dr-replication.ts).
 * The primary stack takes their ARNs as context (drBucketArn, drKeyArn) and replicates into
 * them (docs/dr.md).
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { replicationRoleArn } from './constructs/dr-replication.ts';
import type { Construct } from 'constructs';
import { EncryptionKey } from './constructs/encryption-key.ts';
import { ObjectStore, accessLogBucket } from './constructs/object-store.ts';
import { acknowledgeDrStack } from './nag-suppressions.ts';
import type { StrataSettings } from './settings.ts';

export class StrataDrStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { settings: StrataSettings }) {
    super(scope, id, props);
    const { key } = new EncryptionKey(this, 'Encryption');
    const accessLogs = accessLogBucket(this, 'AccessLogs', Duration.days(props.settings.accessLogRetentionDays));
    const replica = new ObjectStore(this, 'Replica', { declaration: { versioned: true, objectLock: true, eventBridge: true }, key, accessLogs }).bucket;
    admitReplicationRole(replica, key, this.replicationRole(props.settings));
    new CfnOutput(this, 'ReplicaBucketArn', { value: replica.bucketArn, description: 'pass to the primary stack as -c drBucketArn=…' });
    new CfnOutput(this, 'ReplicaKeyArn', { value: key.keyArn, description: 'pass to the primary stack as -c drKeyArn=…' });
    acknowledgeDrStack(this, { replica, accessLogs });
  }

  /**
   * The primary's replication role, admitted by its account and exact ARN: the role does not
   * exist yet when this stack is deployed first, and KMS and S3 refuse policies naming a missing
   * principal, so the principal is the account and the role is a condition.
   */
  private replicationRole(settings: StrataSettings): { account: string; arn: string } {
    const account = settings.primaryAccount ?? this.account;
    return { account, arn: replicationRoleArn(this.partition, account) };
  }
}

/**
 * The replica's key policy and bucket policy admit the replication role (same or another
 * account): kms:Encrypt through S3 in this region; the replicate actions on the
 * bucket's objects and the versioning check S3 makes on the destination.
 */
function admitReplicationRole(replica: s3.Bucket, key: kms.Key, role: { account: string; arn: string }): void {
  const principal = new iam.AccountPrincipal(role.account);
  const isTheRole = { ArnEquals: { 'aws:PrincipalArn': role.arn } };
  const stack = Stack.of(replica);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'StrataReplicationEncryptsReplicas',
      principals: [principal],
      actions: ['kms:Encrypt'],
      resources: ['*'],
      conditions: {
        ...isTheRole,
        // Only through S3 in this region. (The bucket cannot be named here: it references this key. The
        // role's own policy limits the encryption context to the replica bucket.)
        StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
      },
    }),
  );
  replica.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'StrataReplicationWritesReplicas',
      principals: [principal],
      actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
      resources: [replica.arnForObjects('*')],
      conditions: isTheRole,
    }),
  );
  replica.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'StrataReplicationChecksVersioning',
      principals: [principal],
      actions: ['s3:GetBucketVersioning', 's3:PutBucketVersioning'],
      resources: [replica.bucketArn],
      conditions: isTheRole,
    }),
  );
}
