/**
 * The disaster-recovery stack, deployed in another region (or account): the replica bucket
 * and its key. The primary stack takes their ARNs as context (drBucketArn, drKeyArn); the DR
 * replication work adds the replication rule and the fixity audits of the copy.
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
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
    new CfnOutput(this, 'ReplicaBucketArn', { value: replica.bucketArn, description: 'pass to the primary stack as -c drBucketArn=…' });
    new CfnOutput(this, 'ReplicaKeyArn', { value: key.keyArn, description: 'pass to the primary stack as -c drKeyArn=…' });
    acknowledgeDrStack(this, { replica, accessLogs });
  }
}
