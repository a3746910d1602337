/**
 * The cdk-nag findings Strata accepts (cdk-nag v3: CDK `Validations.acknowledge`), each with
 * the reason a security reviewer is given. docs/security.md lists the same rules with the
 * same reasons; a test keeps the two in step.
 */
import { Token, Validations, type CfnElement, type Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { StrataFunction } from './constructs/strata-function.ts';
import { stateMachineName } from './constructs/workflows.ts';
import type { SystemDeclaration } from './system-types.ts';

export interface Suppression {
  id: string;
  reason: string;
}

/** Acknowledged for the whole stack: each applies to a class of resources for the reason given. */
export const STACK_SUPPRESSIONS: Suppression[] = [
  { id: 'AwsSolutions-L1', reason: 'Functions run Node.js 22, the major the project builds, bundles and tests on (the local runtime uses the same); moving to 24 is a tested upgrade, not a default.' },
  { id: 'HIPAA.Security-LambdaConcurrency', reason: 'Reserved concurrency would cap ingest and retrieval for every tenant and fail new accounts with low limits; API Gateway throttling (stage rate/burst) bounds load instead.' },
  { id: 'HIPAA.Security-LambdaDLQ', reason: 'API functions are invoked synchronously (the client gets the error); event-driven functions are invoked by EventBridge rules whose targets carry an encrypted SQS dead-letter queue, and workflow tasks are retried and caught by Step Functions.' },
  { id: 'HIPAA.Security-LambdaInsideVPC', reason: 'The functions reach only AWS services (S3, DynamoDB, Step Functions) over TLS with IAM; they hold no network-reachable resources, and a VPC would add NAT or endpoint cost without reducing exposure. Use VPC endpoints policies in regulated accounts if required.' },
  { id: 'HIPAA.Security-S3BucketReplicationEnabled', reason: 'Cross-region replication of the archive to the StrataDr stack is configured by the DR replication work (drBucketArn/drKeyArn); access-log buckets are not replicated.' },
  { id: 'HIPAA.Security-S3DefaultEncryptionKMS', reason: 'S3 server access logs can only be delivered to buckets encrypted with SSE-S3; the archive itself uses the customer-managed KMS key.' },
  { id: 'HIPAA.Security-DynamoDBInBackupPlan', reason: 'The index has point-in-time recovery (35 days) and deletion protection, and can be rebuilt from the archive bucket, whose object metadata carries every index field; an AWS Backup plan is an account-level choice.' },
  { id: 'HIPAA.Security-APIGWCacheEnabledAndEncrypted', reason: 'API caching is off on purpose: responses are PHI and must not be served from a shared cache that ignores authorization.' },
  { id: 'HIPAA.Security-APIGWSSLEnabled', reason: 'Backend client certificates apply to HTTP integrations; every integration here is a Lambda proxy invoked by API Gateway over the AWS API with IAM.' },
  { id: 'HIPAA.Security-IAMNoInlinePolicy', reason: 'Function roles use customer-managed policies; the remaining inline policies are those CDK generates for the state machine roles (lambda:InvokeFunction on their own task functions only) and the bucket-notification custom resource.' },
  {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason: 'API Gateway\'s account-level role for writing execution logs to CloudWatch, created by CDK; it can do nothing else.',
  },
  {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'The CDK custom resource that turns on the bucket\'s EventBridge notifications at deploy time only writes its own logs.',
  },
  { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray PutTraceSegments/PutTelemetryRecords and the bucket-notification custom resource support no resource-level permissions.' },
  { id: 'AwsSolutions-APIG2', reason: 'Handlers validate every request (media types, multipart, DICOM, query syntax) and answer with DICOM-specific errors; API Gateway validates request parameters only.' },
  { id: 'AwsSolutions-APIG3', reason: 'WAF is optional (context waf=true) because its body inspection limits conflict with multi-megabyte STOW-RS requests; enable it where an organisation mandates it.' },
  { id: 'AwsSolutions-APIG4', reason: 'Only GET /health (no data) and CORS preflight OPTIONS (browsers send them without credentials) are unauthenticated; every DICOMweb and admin route requires a Cognito token with its scope.' },
  { id: 'AwsSolutions-COG4', reason: 'Same methods as AwsSolutions-APIG4: the health check and CORS preflight carry no authorizer by design.' },
  { id: 'AwsSolutions-COG8', reason: 'The user pool issues client-credentials tokens to machines (PACS, modalities, viewers\' back ends); Plus-plan threat protection targets interactive sign-ins, which this pool does not offer.' },
  { id: 'AwsSolutions-SQS3', reason: 'The queue is itself the dead-letter queue of the S3 event rules.' },
];

export function addNagSuppressions(stack: Stack): void {
  for (const suppression of STACK_SUPPRESSIONS) Validations.of(stack).acknowledge(suppression);
}

/**
 * Wildcards that are scoped to one resource: objects of the archive bucket, GSIs of the index,
 * executions of one state machine, the log streams of one function's log group.
 */
export function acknowledgeScopedWildcards(
  stack: Stack,
  functions: StrataFunction[],
  tables: Record<string, dynamodb.Table>,
  buckets: Record<string, s3.Bucket>,
  system: SystemDeclaration,
): void {
  const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  // cdk-nag prints unresolved pseudo parameters as <AWS::…>, resolved ones literally.
  const pseudo = (value: string, name: string) => (Token.isUnresolved(value) ? `<AWS::${name}>` : value);
  const partition = pseudo(stack.partition, 'Partition');
  const region = pseudo(stack.region, 'Region');
  const findings: Suppression[] = [
    ...Object.values(tables).map((table) => ({ id: `AwsSolutions-IAM5[Resource::<${logicalId(table)}.Arn>/index/*]`, reason: 'Query on the table\'s own global secondary indexes (docs/data-model.md).' })),
    ...Object.values(buckets).map((bucket) => ({ id: `AwsSolutions-IAM5[Resource::<${logicalId(bucket)}.Arn>/*]`, reason: 'Object-level actions on the objects of this one bucket (keys are per tenant, study and instance).' })),
    ...Object.keys(system.stateMachines).map((logical) => ({
      id: `AwsSolutions-IAM5[Resource::arn:${partition}:states:${region}:<AWS::AccountId>:execution:${stateMachineName(logical)}:*]`,
      reason: 'DescribeExecution on the executions of this one state machine (execution names are generated).',
    })),
    ...functions.map((fn) => ({ id: `AwsSolutions-IAM5[Resource::<${logicalId(fn.function)}.Arn>:*]`, reason: 'Step Functions may invoke any version or alias of its task function.' })),
  ];
  for (const finding of findings) Validations.of(stack).acknowledge(finding);
}
