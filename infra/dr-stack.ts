/**
 * The disaster-recovery stack, deployed in another region (or account): the replica bucket
 * and its key, whose policies admit the primary's replication role and the DR audit's reader role
 * (infra/constructs/dr-replication.ts), same account or another.
 * The primary stack takes their ARNs as context (drBucketArn, drKeyArn) and replicates into
 * them (docs/dr.md).
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { replicaReaderRoleName, replicaReaders, replicationRoleName, roleArn } from './constructs/dr-replication.ts';
import type { Construct } from 'constructs';
import { EncryptionKey } from './constructs/encryption-key.ts';
import { ObjectStore, accessLogBucket } from './constructs/object-store.ts';
import { acknowledgeDrStack } from './nag-suppressions.ts';
import type { StrataSettings } from './settings.ts';
import type { SystemDeclaration } from './system-types.ts';

export interface StrataDrStackProps extends StackProps {
  settings: StrataSettings;
  /** The primary stack's name, which the roles this stack admits carry (infra/constructs/scoped-names.ts). */
  primaryStackName: string;
  /** The declaration, whose functions granted on the replica are admitted to read it. */
  system: SystemDeclaration;
}

export class StrataDrStack extends Stack {
  constructor(scope: Construct, id: string, props: StrataDrStackProps) {
    super(scope, id, props);
    const { key } = new EncryptionKey(this, 'Encryption');
    const accessLogs = accessLogBucket(this, 'AccessLogs', Duration.days(props.settings.accessLogRetentionDays));
    const replica = new ObjectStore(this, 'Replica', { declaration: { versioned: true, objectLock: true, eventBridge: true }, key, accessLogs }).bucket;
    const account = props.settings.primaryAccount ?? this.account;
    const arnOf = (name: string) => roleArn(this.partition, account, name);
    admitReplicationRole(replica, key, { account, arn: arnOf(replicationRoleName(props.primaryStackName)) });
    for (const [fn, actions] of Object.entries(replicaReaders(props.system))) {
      admitReplicaReader(replica, key, { account, arn: arnOf(replicaReaderRoleName(props.primaryStackName, fn)) }, fn, actions);
    }
    new CfnOutput(this, 'ReplicaBucketArn', { value: replica.bucketArn, description: 'pass to the primary stack as -c drBucketArn=…' });
    new CfnOutput(this, 'ReplicaKeyArn', { value: key.keyArn, description: 'pass to the primary stack as -c drKeyArn=…' });
    acknowledgeDrStack(this, { replica, accessLogs });
  }
}

/**
 * The primary's roles are admitted by their account and exact ARN: they do not exist yet when this
 * stack is deployed first, and KMS and S3 refuse policies naming a missing principal, so the
 * principal is the account and the role is a condition.
 *
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

/**
 * A primary function that reads the replica (the DR audit's step, `replicaReaders`): its declared
 * actions on the bucket and its objects, and kms:Decrypt through S3 in this Region (HeadObject
 * with ChecksumMode needs it for a KMS-encrypted object). Same account, its own policy suffices;
 * from another account, S3 and KMS need these too.
 */
function admitReplicaReader(replica: s3.Bucket, key: kms.Key, role: { account: string; arn: string }, fn: string, actions: { bucket: string[]; objects: string[] }): void {
  const principal = new iam.AccountPrincipal(role.account);
  const isTheRole = { ArnEquals: { 'aws:PrincipalArn': role.arn } };
  const sid = `Strata${fn[0]!.toUpperCase()}${fn.slice(1)}`;
  if (actions.bucket.length) {
    replica.addToResourcePolicy(new iam.PolicyStatement({ sid: `${sid}ListsReplicas`, principals: [principal], actions: actions.bucket, resources: [replica.bucketArn], conditions: isTheRole }));
  }
  if (actions.objects.length) {
    replica.addToResourcePolicy(new iam.PolicyStatement({ sid: `${sid}ReadsReplicas`, principals: [principal], actions: actions.objects, resources: [replica.arnForObjects('*')], conditions: isTheRole }));
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `${sid}DecryptsReplicas`,
        principals: [principal],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { ...isTheRole, StringEquals: { 'kms:ViaService': `s3.${Stack.of(replica).region}.amazonaws.com` } },
      }),
    );
  }
}
