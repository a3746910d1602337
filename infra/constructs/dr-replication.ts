/**
 * S3 replication of the archive bucket into the DR stack's replica (docs/dr.md), from the one
 * declared rule (infra/system.ts `replication`) that the local S3 also applies:
 * - the role S3 assumes, with exactly what replication needs: on the source bucket
 *   GetReplicationConfiguration and ListBucket; on its object versions
 *   GetObjectVersionForReplication/Acl/Tagging, GetObjectRetention and GetObjectLegalHold; on the
 *   replica's objects ReplicateObject, ReplicateDelete and ReplicateTags; kms:Decrypt on the
 *   source key and kms:Encrypt on the replica key, each only through S3 for that bucket;
 * - the rule: every object, SSE-KMS objects included and re-encrypted with the replica key,
 *   Object Lock (legal holds, retention) replicated (both buckets have Object Lock), delete
 *   markers not replicated, the replica's storage class, and optionally Replication Time
 *   Control with its metrics (15 minutes) or the metrics alone.
 * The role has a fixed name (scoped to the primary stack) so the DR stack, deployed first, can
 * admit it in the replica's key and bucket policies (same or another account); so do the roles of
 * the functions that read the replica (the DR audit's step, `replicaReaders`).
 */
import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ReplicaStorageClass, SystemDeclaration } from '#infra/system-types.ts';
import { BUCKET_LEVEL } from './grants.ts';
import { roleName } from './scoped-names.ts';

/** The replication role's fixed name: the DR stack admits it by ARN, built from it and the primary's account. */
export const replicationRoleName = (primaryStackName: string) => roleName(primaryStackName, 'dr-replication');
/** The fixed role name of a function that reads the replica, which the DR stack admits likewise. */
export const replicaReaderRoleName = (primaryStackName: string, fn: string) => roleName(primaryStackName, `dr-${fn}`);

/**
 * The functions whose grants name the replica bucket, and their actions there: the DR audit's
 * step lists the replica and reads its objects' checksums (HeadObject with ChecksumMode, which
 * needs kms:Decrypt on the replica key). In another account, the replica's bucket and key
 * policies must admit them as well as their own policies (infra/dr-stack.ts).
 */
export function replicaReaders(system: SystemDeclaration): Record<string, { bucket: string[]; objects: string[] }> {
  const replica = system.replication?.replica;
  if (!replica) return {};
  const readers: Record<string, { bucket: string[]; objects: string[] }> = {};
  for (const [name, fn] of Object.entries(system.functions)) {
    const actions = fn.grants.filter((grant) => grant.resource === `bucket:${replica}`).flatMap((grant) => [...grant.actions]);
    if (actions.length) readers[name] = { bucket: actions.filter((a) => BUCKET_LEVEL.has(a)), objects: actions.filter((a) => !BUCKET_LEVEL.has(a)) };
  }
  return readers;
}

/** The replica's Region: its key's (the DR stack's key is in the bucket's Region). */
export const replicaRegion = (replicaKeyArn: string): string => Arn.split(replicaKeyArn, ArnFormat.SLASH_RESOURCE_NAME).region!;
/** Replication Time Control's objective and the metrics' threshold, the only value S3 accepts. */
const RTC_MINUTES = 15;

export interface DrReplicationProps {
  /** The role's fixed name (replicationRoleName), which the DR stack admits. */
  roleName: string;
  source: s3.Bucket;
  sourceKey: kms.IKey;
  replicaBucketArn: string;
  replicaKeyArn: string;
  storageClass: ReplicaStorageClass;
  /** Replication Time Control (and its metrics), or the metrics alone, or neither. */
  monitoring: 'rtc' | 'metrics' | 'none';
}

export class DrReplication extends Construct {
  readonly role: iam.Role;
  readonly policy: iam.ManagedPolicy;
  readonly source: s3.Bucket;
  readonly replicaBucketArn: string;

  constructor(scope: Construct, id: string, props: DrReplicationProps) {
    super(scope, id);
    this.source = props.source;
    this.replicaBucketArn = props.replicaBucketArn;
    const stack = Stack.of(this);
    const replicaKey = Arn.split(props.replicaKeyArn, ArnFormat.SLASH_RESOURCE_NAME);
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
      description: 'Strata: S3 replication of the archive into the DR replica',
    });
    const viaS3 = (region: string, bucketArn: string) => ({
      StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` },
      // With S3 Bucket Keys the encryption context is the bucket's ARN; without, the object's.
      StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucketArn, `${bucketArn}/*`] },
    });
    const statements = [
      new iam.PolicyStatement({ sid: 'ReadTheSourceConfiguration', actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'], resources: [props.source.bucketArn] }),
      new iam.PolicyStatement({
        sid: 'ReadSourceVersionsAndLocks',
        actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging', 's3:GetObjectRetention', 's3:GetObjectLegalHold'],
        resources: [props.source.arnForObjects('*')],
      }),
      new iam.PolicyStatement({ sid: 'WriteReplicas', actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'], resources: [`${props.replicaBucketArn}/*`] }),
      new iam.PolicyStatement({ sid: 'DecryptSourceThroughS3', actions: ['kms:Decrypt'], resources: [props.sourceKey.keyArn], conditions: viaS3(stack.region, props.source.bucketArn) }),
      new iam.PolicyStatement({ sid: 'EncryptReplicasThroughS3', actions: ['kms:Encrypt'], resources: [props.replicaKeyArn], conditions: viaS3(replicaKey.region!, props.replicaBucketArn) }),
    ];
    // A managed policy of its own (HIPAA: no inline policies), as every function's.
    this.policy = new iam.ManagedPolicy(this, 'Policy', { description: 'Strata: what S3 replication of the archive needs', statements, roles: [this.role] });

    const cfnBucket = props.source.node.defaultChild as s3.CfnBucket;
    cfnBucket.replicationConfiguration = {
      role: this.role.roleArn,
      rules: [
        {
          id: 'dr-copy',
          status: 'Enabled',
          priority: 0,
          filter: { prefix: '' },
          // Off: a disposition reaches the replica only when the workflow deletes there, after the recovery window.
          deleteMarkerReplication: { status: 'Disabled' },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
          destination: {
            bucket: props.replicaBucketArn,
            // No owner translation: the replica bucket enforces bucket-owner ownership, so replicas in
            // another account belong to it without s3:ObjectOwnerOverrideToBucketOwner.
            encryptionConfiguration: { replicaKmsKeyId: props.replicaKeyArn },
            storageClass: props.storageClass,
            ...(props.monitoring === 'rtc' ? { replicationTime: { status: 'Enabled', time: { minutes: RTC_MINUTES } } } : {}),
            ...(props.monitoring !== 'none' ? { metrics: { status: 'Enabled', eventThreshold: { minutes: RTC_MINUTES } } } : {}),
          },
        },
      ],
    };
  }
}

/** A fixed-name role's ARN as the DR stack builds it (the primary may be in another account). */
export function roleArn(partition: string, account: string, name: string): string {
  return `arn:${partition}:iam::${account}:role/${name}`;
}
