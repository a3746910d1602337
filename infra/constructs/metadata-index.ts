/** The index table of the declaration: on-demand, PITR, deletion protection, customer-managed KMS, retained. */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { TableDeclaration } from '#infra/system-types.ts';

export class MetadataIndex extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: { declaration: TableDeclaration; key: kms.IKey }) {
    super(scope, id);
    const string = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: string(props.declaration.partitionKey),
      sortKey: string(props.declaration.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(props.declaration.timeToLiveAttribute ? { timeToLiveAttribute: props.declaration.timeToLiveAttribute } : {}),
    });
    for (const gsi of props.declaration.globalIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.name,
        partitionKey: string(gsi.partitionKey),
        sortKey: string(gsi.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
