/**
 * The index table of the declaration: on-demand, PITR, deletion protection, customer-managed KMS, retained.
 *
 * With a replica (`-c indexReplicaKeyArn=`, docs/dr.md "The index's copy") it is a global table
 * (`TableV2`, CloudFormation's AWS::DynamoDB::GlobalTable) with a replica in the key's Region,
 * each replica encrypted with its Region's customer-managed key, with PITR and deletion protection
 * of its own: CDK's `Table` refuses replicas with a customer-managed key. The construct path, and
 * so the logical id, is the same either way; CloudFormation cannot change a resource's type in
 * place, so an existing `Table` moves over by the documented import (retain, remove, import as a
 * global table under its own name: `-c indexTableName=`), never by a replacement.
 */
import { Arn, ArnFormat, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { TableDeclaration } from '#infra/system-types.ts';

export interface IndexReplica {
  /** The replica Region's customer-managed key (its Region is the replica's; the primary's account). */
  keyArn: string;
  /** The existing table's name, when an existing table is imported as the global table (docs/dr.md). */
  tableName?: string | undefined;
  /**
   * The import step of the migration (docs/dr.md): the global table as the existing table is, its
   * own Region's replica only, as CloudFormation imports it; the next deploy without it adds the replica.
   */
  importing?: boolean | undefined;
}

export class MetadataIndex extends Construct {
  readonly table: dynamodb.Table | dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: { declaration: TableDeclaration; key: kms.IKey; replica?: IndexReplica | undefined }) {
    super(scope, id);
    this.table = props.replica ? globalTable(this, props.declaration, props.key, props.replica) : regionalTable(this, props.declaration, props.key);
  }
}

const string = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
const PITR = { pointInTimeRecoveryEnabled: true };

function regionalTable(scope: Construct, declaration: TableDeclaration, key: kms.IKey): dynamodb.Table {
  const table = new dynamodb.Table(scope, 'Table', {
    partitionKey: string(declaration.partitionKey),
    sortKey: string(declaration.sortKey),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: PITR,
    deletionProtection: true,
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: key,
    removalPolicy: RemovalPolicy.RETAIN,
    ...(declaration.timeToLiveAttribute ? { timeToLiveAttribute: declaration.timeToLiveAttribute } : {}),
  });
  for (const gsi of globalIndexes(declaration)) table.addGlobalSecondaryIndex(gsi);
  return table;
}

function globalTable(scope: Construct, declaration: TableDeclaration, key: kms.IKey, replica: IndexReplica): dynamodb.TableV2 {
  const region = replicaRegion(scope, replica.keyArn);
  return new dynamodb.TableV2(scope, 'Table', {
    ...(replica.tableName ? { tableName: replica.tableName } : {}),
    partitionKey: string(declaration.partitionKey),
    sortKey: string(declaration.sortKey),
    billing: dynamodb.Billing.onDemand(),
    pointInTimeRecoverySpecification: PITR,
    deletionProtection: true,
    encryption: replica.importing ? dynamodb.TableEncryptionV2.customerManagedKey(key) : dynamodb.TableEncryptionV2.customerManagedKey(key, { [region]: replica.keyArn }),
    removalPolicy: RemovalPolicy.RETAIN,
    ...(declaration.timeToLiveAttribute ? { timeToLiveAttribute: declaration.timeToLiveAttribute } : {}),
    globalSecondaryIndexes: globalIndexes(declaration),
    // The replica's own settings, stated rather than inherited: a promoted replica keeps them.
    replicas: replica.importing ? [] : [{ region, pointInTimeRecoverySpecification: PITR, deletionProtection: true }],
  });
}

const globalIndexes = (declaration: TableDeclaration) =>
  declaration.globalIndexes.map((gsi) => ({ indexName: gsi.name, partitionKey: string(gsi.partitionKey), sortKey: string(gsi.sortKey), projectionType: dynamodb.ProjectionType.ALL }));

/** The replica's Region: its key's. A global table lives in one account and needs a Region other than the stack's. */
function replicaRegion(scope: Construct, keyArn: string): string {
  const stack = Stack.of(scope);
  const parts = Arn.split(keyArn, ArnFormat.SLASH_RESOURCE_NAME);
  if (parts.service !== 'kms' || !parts.region || !parts.account) throw new Error(`-c indexReplicaKeyArn=${keyArn}: expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`);
  if (!Token.isUnresolved(stack.region) && parts.region === stack.region) throw new Error(`-c indexReplicaKeyArn: the replica needs a Region other than the stack's (${stack.region})`);
  if (!Token.isUnresolved(stack.account) && parts.account !== stack.account) {
    throw new Error(`-c indexReplicaKeyArn: a global table's replicas stay in its account (${stack.account}), the key is in ${parts.account}; a DR stack in another account relies on the rebuild from its bucket (docs/dr.md)`);
  }
  return parts.region;
}
