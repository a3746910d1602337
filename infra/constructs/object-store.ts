/**
 * The archive bucket (DICOM bytes and metadata documents) and the bucket for its access logs.
 * Versioned, Object Lock enabled (legal holds), KMS with Bucket Keys, TLS only, no public
 * access, EventBridge notifications on, retained when the stack is deleted.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { STAGED_PART_EXPIRY_DAYS, STAGED_PART_TAG, STAGING_PREFIX } from '#core/index-keys.ts';
import type { BucketDeclaration } from '#infra/system-types.ts';
import { compileLifecycleRules, type CompiledLifecycleRule } from '#infra/lifecycle/compile-rules.ts';
import { loadPolicy } from '#infra/lifecycle/load-policy.ts';

export interface ObjectStoreProps {
  declaration: BucketDeclaration;
  key: kms.IKey;
  accessLogs: s3.Bucket;
}

/** How long deleted bytes can be recovered (noncurrent versions in the versioned bucket). */
export const RECOVERY_WINDOW_DAYS = 30;

export class ObjectStore extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ObjectStoreProps) {
    super(scope, id);
    const lifecycleRules: s3.LifecycleRule[] = [
      { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      // Abandoned presigned uploads (docs/ingest.md): unfinished parts aborted, staged objects never indexed expired.
      ...(props.declaration.abandonedUploads
        ? [
            {
              id: 'abandoned-uploads',
              prefix: props.declaration.abandonedUploads.prefix,
              abortIncompleteMultipartUploadAfter: Duration.days(props.declaration.abandonedUploads.abortIncompleteAfterDays),
              expiration: Duration.days(props.declaration.abandonedUploads.expireAfterDays),
            },
          ]
        : []),
      // A delete leaves the bytes as a noncurrent version: recoverable for 30 days, then gone
      // (Object Lock still protects held or retained versions). Dispositions refine this window.
      { id: 'recovery-window-after-delete', noncurrentVersionExpiration: Duration.days(RECOVERY_WINDOW_DAYS) },
      // A streamed part's staging copy is deleted once copied to its key: its noncurrent version holds no
      // one's data (the copy does), so it goes after a day instead of the recovery window, with its marker.
      { id: 'staging-copies', prefix: STAGING_PREFIX, noncurrentVersionExpiration: Duration.days(1), expiredObjectDeleteMarker: true },
      // A staging object still current after a day was left by a crash (a request lives minutes at most): it goes.
      {
        id: 'staging-parts-left-behind',
        prefix: STAGING_PREFIX,
        tagFilters: { [STAGED_PART_TAG.key]: STAGED_PART_TAG.value },
        expiration: Duration.days(STAGED_PART_EXPIRY_DAYS),
      },
      // The image lifecycle policy, compiled once (infra/lifecycle/compile-rules.ts); the local S3 applies the same rules.
      ...(props.declaration.lifecyclePolicy ? compileLifecycleRules(loadPolicy(props.declaration.lifecyclePolicy)).map(cdkLifecycleRule) : []),
      // Derived data kept for a while (discovery export packages): S3 deletes it after the declared days.
      ...(props.declaration.expireAfterDays ? [{ id: 'expire-objects', expiration: Duration.days(props.declaration.expireAfterDays) }] : []),
    ];
    if (props.declaration.objectLock && !props.declaration.versioned) throw new Error(`${id}: S3 Object Lock requires a versioned bucket`);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      versioned: props.declaration.versioned,
      objectLockEnabled: props.declaration.objectLock,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // (A CDK typing quirk under exactOptionalPropertyTypes: Bucket is an IBucket.)
      serverAccessLogsBucket: props.accessLogs as unknown as s3.IBucket,
      serverAccessLogsPrefix: `${id.toLowerCase()}/`,
      eventBridgeEnabled: props.declaration.eventBridge,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules,
      // Stated rather than left to the default: objects under 128 KB never transition (docs/lifecycle.md).
      transitionDefaultMinimumObjectSize: s3.TransitionDefaultMinimumObjectSize.ALL_STORAGE_CLASSES_128_K,
    });
    // CloudFormation types ObjectSizeGreaterThan as a string; CDK writes a number, which the
    // template validator flags (W9003) on every synth. Written as CloudFormation reads it.
    lifecycleRules.forEach((rule, index) => {
      if (rule.objectSizeGreaterThan === undefined) return;
      (this.bucket.node.defaultChild as s3.CfnBucket).addPropertyOverride(`LifecycleConfiguration.Rules.${index}.ObjectSizeGreaterThan`, String(rule.objectSizeGreaterThan));
    });
  }
}

function cdkLifecycleRule(rule: CompiledLifecycleRule): s3.LifecycleRule {
  return {
    id: rule.id,
    tagFilters: { [rule.tag.key]: rule.tag.value },
    objectSizeGreaterThan: rule.objectSizeGreaterThan,
    transitions: rule.transitions.map((t) => ({ storageClass: new s3.StorageClass(t.storageClass), transitionAfter: Duration.days(t.days) })),
  };
}

/** Server access logs: S3 delivers them only to SSE-S3 buckets. */
export function accessLogBucket(scope: Construct, id: string, retention: Duration): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    versioned: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [{ id: 'expire-access-logs', expiration: retention, noncurrentVersionExpiration: Duration.days(30) }],
  });
}
