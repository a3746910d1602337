/** The customer-managed KMS key for the archive, the index, logs and queues (rotated yearly). */
import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export class EncryptionKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: 'Strata: DICOM archive, index, logs and queues',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch Logs encrypts the log groups with this key (the service needs a key policy grant),
    // for this account's log groups in this region only.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
  }
}

/**
 * Lets an AWS service write to a resource encrypted with the key (e.g. EventBridge sending a
 * failed event to the encrypted dead-letter queue), on behalf of the named resources of this
 * account only: `aws:SourceArn` keeps another account's rule from using the key (confused deputy).
 * The ARNs must be built from names, not references, or the key would depend on its users.
 */
export function admitServiceToKey(key: kms.IKey, sid: string, service: string, sourceArns: string[]): void {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid,
      principals: [new iam.ServicePrincipal(service)],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: { ArnEquals: { 'aws:SourceArn': sourceArns }, StringEquals: { 'aws:SourceAccount': Stack.of(key).account } },
    }),
  );
}
