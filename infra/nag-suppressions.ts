/**
 * The cdk-nag findings Strata accepts (cdk-nag v3: CDK `Validations.acknowledge`), each on the
 * one resource it is about, with the reason a security reviewer is given. An acknowledgment
 * covers its construct and nothing else: the same rule firing on a new resource (a route
 * without authorizer, a bucket on SSE-S3, another wildcard) fails `cdk synth`.
 * docs/security.md lists the same rules with the same reasons; a test keeps the two in step.
 */
import { Names, Stack, Token, Validations, type CfnElement } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { DataPlaneStack } from './constructs/data-plane-stack.ts';
import type { DicomwebApi } from './constructs/dicomweb-api.ts';
import type { DrReplication } from './constructs/dr-replication.ts';
import { dataPlaneGrants } from './dataplane/declaration.ts';
import { grantStatements } from './constructs/grants.ts';
import type { StrataFunction } from './constructs/strata-function.ts';
import type { WorkflowsStack } from './constructs/workflows-stack.ts';
import { stateMachineName } from './constructs/workflows.ts';
import type { IConstruct } from 'constructs';
import type { SystemDeclaration } from './system-types.ts';

export interface Suppression {
  id: string;
  reason: string;
}

/** Every acknowledged rule and why; the rule ids docs/security.md must explain. */
export const REASONS = {
  nodeRuntime: { id: 'AwsSolutions-L1', reason: 'Functions run Node.js 22, the major the project builds, bundles and tests on (the local runtime uses the same); moving to 24 is a tested upgrade, not a default.' },
  concurrency: { id: 'HIPAA.Security-LambdaConcurrency', reason: 'Reserved concurrency would cap ingest and retrieval for every tenant and fail new accounts with low limits; API Gateway throttling (stage rate/burst) bounds load instead.' },
  dlqApi: { id: 'HIPAA.Security-LambdaDLQ', reason: 'Invoked synchronously by API Gateway: the client receives the error, there is no event to keep.' },
  dlqEvents: { id: 'HIPAA.Security-LambdaDLQ', reason: 'Invoked by an EventBridge rule whose target retries and keeps failed events in the encrypted SQS dead-letter queue.' },
  dlqTrigger: { id: 'HIPAA.Security-LambdaDLQ', reason: 'Invoked synchronously by Cognito before it issues a token: a failure refuses the token request, there is no event to keep.' },
  dlqTask: { id: 'HIPAA.Security-LambdaDLQ', reason: 'A Step Functions task: the state machine retries it and catches its failure; there is no asynchronous event to keep.' },
  vpc: { id: 'HIPAA.Security-LambdaInsideVPC', reason: 'The functions reach only AWS services (S3, DynamoDB, Step Functions) over TLS with IAM; they hold no network-reachable resources, and a VPC would add NAT or endpoint cost without reducing exposure.' },
  notReplicatedYet: { id: 'HIPAA.Security-S3BucketReplicationEnabled', reason: 'Not replicated until the StrataDr stack is deployed and its outputs passed as -c drBucketArn and -c drKeyArn (docs/dr.md); the synth warns (strata:drNotReplicated). Until then the archive relies on versioning, Object Lock and a 30-day recovery window in one region.' },
  derivedNotReplicated: { id: 'HIPAA.Security-S3BucketReplicationEnabled', reason: 'Derived, re-creatable data (discovery export packages, made from the archive and expiring after 30 days); the archive itself is replicated (docs/dr.md).' },
  replicationObjects: { id: 'AwsSolutions-IAM5', reason: 'S3 replication reads every object version of the archive and writes every replica: the object-level replication actions on the objects of these two buckets only (docs/dr.md).' },
  accessLogsNotReplicated: { id: 'HIPAA.Security-S3BucketReplicationEnabled', reason: 'Server access logs are not replicated; they describe this region\'s bucket and expire by the accessLogRetentionDays setting.' },
  replicaNotReplicated: { id: 'HIPAA.Security-S3BucketReplicationEnabled', reason: 'This bucket is itself the replica (the DR copy of the archive).' },
  accessLogsSseS3: { id: 'HIPAA.Security-S3DefaultEncryptionKMS', reason: 'S3 server access logs can only be delivered to buckets encrypted with SSE-S3; this bucket holds only access logs.' },
  backupPlan: { id: 'HIPAA.Security-DynamoDBInBackupPlan', reason: 'The index and the audit table have point-in-time recovery (35 days) and deletion protection; an AWS Backup plan is an account-level choice. No tool rebuilds the index from the archive yet.' },
  apiCache: { id: 'HIPAA.Security-APIGWCacheEnabledAndEncrypted', reason: 'API caching is off on purpose: responses are PHI and must not be served from a shared cache that ignores authorization.' },
  apiBackendCert: { id: 'HIPAA.Security-APIGWSSLEnabled', reason: 'Backend client certificates apply to HTTP integrations; every integration here is a Lambda proxy invoked by API Gateway over the AWS API with IAM.' },
  cdkInlinePolicy: { id: 'HIPAA.Security-IAMNoInlinePolicy', reason: 'Generated by CDK for its own construct (the state machine role: invoke its task functions, X-Ray, log delivery; or the deploy-time bucket-notification handler: s3:PutBucketNotification on this bucket).' },
  apiGatewayLogsRole: {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason: 'API Gateway\'s account-level role for writing execution logs to CloudWatch, created by CDK; it can do nothing else.',
  },
  notificationHandlerRole: {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'The CDK custom resource that turns on the bucket\'s EventBridge notifications at deploy time only writes its own logs.',
  },
  xrayWildcard: { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.' },
  workflowWildcard: { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'CDK\'s state machine role: X-Ray and CloudWatch Logs delivery (CreateLogDelivery and friends) support no resource-level permissions.' },
  requestValidation: { id: 'AwsSolutions-APIG2', reason: 'Handlers validate every request (media types, multipart, DICOM, query syntax) and answer with DICOM-specific errors; API Gateway validates request parameters only.' },
  wafOptional: { id: 'AwsSolutions-APIG3', reason: 'WAF is optional (context waf=true) because its body inspection limits conflict with multi-megabyte STOW-RS requests; enable it where an organisation mandates it.' },
  publicRoute: { id: 'AwsSolutions-APIG4', reason: 'GET /health answers liveness and component versions, no data; every DICOMweb and admin route requires a Cognito token with its scope.' },
  publicRouteCognito: { id: 'AwsSolutions-COG4', reason: 'GET /health carries no authorizer by design (liveness probes hold no token).' },
  consolePage: { id: 'AwsSolutions-APIG4', reason: 'GET /console and /console/{path+} serve the console\'s static files (HTML, JavaScript, CSS), no data: a browser must load the page before its user can paste a token; every figure it shows comes from routes that require a Cognito token with its scope.' },
  consolePageCognito: { id: 'AwsSolutions-COG4', reason: 'The console\'s static files carry no authorizer by design: the page is what asks for the token.' },
  noThreatProtection: { id: 'AwsSolutions-COG8', reason: 'The user pool issues client-credentials tokens to machines (PACS, modalities, viewers\' back ends); Plus-plan threat protection targets interactive sign-ins, which this pool does not offer.' },
  dataPlaneEnvironment: { id: 'AwsSolutions-ECS2', reason: 'The data plane\'s environment holds resource names, its routes and the user pool id: configuration, no secret (it holds no credentials; the task role signs its AWS calls).' },
  dataPlaneExecutionRole: { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'CDK\'s ECS task execution role: ecr:GetAuthorizationToken supports no resource-level permission (the image pull and log writes are scoped to their repository and log group).' },
  dataPlaneCdkInline: { id: 'HIPAA.Security-IAMNoInlinePolicy', reason: 'Generated by CDK for the data plane\'s ECS task execution role (pull its one image, write its one log group) and for the VPC flow-log role (write its one log group).' },
  dataPlaneInternetIngress: { id: 'AwsSolutions-EC23', reason: 'The data plane is where hospitals send large DICOMweb requests: its load balancer accepts HTTPS (443 only) from the internet, with every request authenticated by a Cognito token. Set dataPlaneIngressCidrs to the hospitals\' ranges to narrow it.' },
  dataPlaneRouteToInternet: { id: 'HIPAA.Security-VPCNoUnrestrictedRouteToIGW', reason: 'The data plane\'s public subnets hold the internet-facing load balancer; the tasks there admit traffic only from it (security group) and reach S3 and DynamoDB through gateway endpoints.' },
  dataPlaneDefaultSecurityGroup: { id: 'HIPAA.Security-VPCDefaultSecurityGroupClosed', reason: 'Nothing in the data plane VPC uses its default security group: the load balancer and tasks each have their own, with no outbound rule beyond what they need. Closing it needs a custom resource Lambda, which adds more to review than it removes.' },
  isDeadLetterQueue: { id: 'AwsSolutions-SQS3', reason: 'The queue is itself the dead-letter queue of the S3 event rules.' },
} as const satisfies Record<string, Suppression>;

/** Routes that may be called without a token, and why; any other route without a scope fails the synth. */
export const PUBLIC_ROUTES: ReadonlyMap<string, readonly Suppression[]> = new Map([
  ['GET /health', [REASONS.publicRoute, REASONS.publicRouteCognito]],
  ['GET /console', [REASONS.consolePage, REASONS.consolePageCognito]],
  ['GET /console/{path+}', [REASONS.consolePage, REASONS.consolePageCognito]],
]);

export function acknowledge(scope: IConstruct, ...suppressions: Suppression[]): void {
  Validations.of(scope).acknowledge(...suppressions);
}

/** How a function is invoked decides why it needs no dead-letter queue of its own. */
export function deadLetterReason(system: SystemDeclaration, name: string): Suppression | undefined {
  if (system.routes.some((route) => route.function === name)) return REASONS.dlqApi;
  if (system.eventRules.some((rule) => rule.function === name)) return REASONS.dlqEvents;
  if (system.api.tokenTrigger === name) return REASONS.dlqTrigger;
  if (Object.values(system.stateMachines).some((machine) => Object.values(machine.functions).includes(name))) return REASONS.dlqTask;
  return undefined;
}

/** `<LogicalId.Arn>` as cdk-nag prints a reference. */
export function arnOf(construct: IConstruct): string {
  return `<${Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement)}.Arn>`;
}

/**
 * `<referencetoStrata…Arn>` as cdk-nag prints, inside a nested stack, the ARN of a resource of its
 * parent: CDK passes it as a parameter named after the resource (aws-cdk-lib core/lib/private/refs.ts).
 */
export function parameterArnOf(construct: IConstruct): string {
  return `<${`reference-to-${Names.nodeUniqueId(cfn(construct).node)}Arn`.replace(/[^A-Za-z0-9]/g, '')}>`;
}

/** cdk-nag prints unresolved pseudo parameters as <AWS::…>, resolved ones literally. */
export function pseudo(value: string, name: string): string {
  return Token.isUnresolved(value) ? `<AWS::${name}>` : value;
}

/** The deploy-time custom resource CDK adds for a bucket's EventBridge notifications (one per stack). */
export function acknowledgeBucketNotificationHandler(stack: Stack): void {
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith('BucketNotificationsHandler')) continue;
    const role = child.node.tryFindChild('Role');
    if (role) acknowledge(role, REASONS.notificationHandlerRole);
  }
  for (const construct of stack.node.findAll()) {
    if (construct.node.id === 'HandlerPolicy' && construct.node.scope?.node.id === 'Notifications') acknowledge(construct, REASONS.cdkInlinePolicy);
  }
}

const cfn = (construct: IConstruct) => construct.node.defaultChild ?? construct;

/**
 * The wildcards of a policy written from grants, as cdk-nag prints them; each is one resource's.
 * `arn` prints a table's or bucket's ARN as the policy's stack sees it (a nested stack sees a parameter).
 */
function grantWildcards(
  stack: Stack,
  grants: SystemDeclaration['functions'][string]['grants'],
  tables: Record<string, dynamodb.Table | dynamodb.TableV2>,
  buckets: Record<string, s3.Bucket>,
  arn: (construct: IConstruct) => string = arnOf,
  external?: (logical: string) => string,
): Suppression[] {
  const partition = pseudo(stack.partition, 'Partition');
  const region = pseudo(stack.region, 'Region');
  const states = (resource: string, name: string) => `arn:${partition}:states:${region}:<AWS::AccountId>:${resource}:${name}`;
  // State machines are named after the primary stack, wherever the policy is.
  const primaryName = (stack.nestedStackParent ?? stack).stackName;
  const statements = grantStatements(grants, {
    table: (logical) => ({ arn: arn(tables[logical]!), indexArn: `${arn(tables[logical]!)}/index/*` }),
    // A bucket of no stack here (the DR replica) is named by its ARN.
    bucket: (logical) => ({ arn: buckets[logical] ? arn(buckets[logical]) : (external?.(logical) ?? `<bucket-${logical}>`) }),
    stateMachine: (logical) => ({ arn: states('stateMachine', stateMachineName(primaryName, logical)), executionsArn: `${states('execution', stateMachineName(primaryName, logical))}:*` }),
    eventBus: (name) => ({ arn: `arn:${partition}:events:${region}:<AWS::AccountId>:event-bus/${name}` }),
    keyArn: '<key>',
    signingKey: (logical) => ({ arn: `<signing-key-${logical}>` }),
  });
  // A bare `*` is nobody's resource: it is never acknowledged here, so it fails the synth (IAM5).
  const wildcards = new Set(statements.flatMap((statement) => statement.resources).filter((resource) => resource.includes('*') && resource !== '*'));
  return [...wildcards].map((resource) => ({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason: wildcardReason(resource) }));
}

/** Why a wildcard in a function's grants is still one resource's. */
function wildcardReason(resource: string): string {
  if (resource.endsWith('/index/*')) return 'Query on the table\'s own global secondary indexes (docs/data-model.md).';
  if (resource.includes(':execution:')) return 'DescribeExecution on the executions of this one state machine (execution names are generated).';
  return 'Object-level actions on the objects of this one bucket (keys are per tenant, study and instance).';
}

export interface PrimaryStackParts {
  system: SystemDeclaration;
  functions: Record<string, StrataFunction>;
  tracing: iam.ManagedPolicy;
  tables: Record<string, dynamodb.Table | dynamodb.TableV2>;
  buckets: Record<string, s3.Bucket>;
  accessLogs: s3.Bucket;
  api: DicomwebApi;
  userPool: cognito.UserPool;
  workflows: WorkflowsStack;
  deadLetters: sqs.Queue;
  waf: boolean;
  dataPlane: DataPlaneStack | undefined;
  replication: DrReplication | undefined;
}

/** The replication role's two object wildcards (the archive's and the replica's objects), as cdk-nag prints them. */
function replicationWildcards(replication: DrReplication): Suppression[] {
  return [`${arnOf(replication.source)}/*`, `${replication.replicaBucketArn}/*`].map((resource) => ({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason: REASONS.replicationObjects.reason }));
}

/** Each acknowledgment of the primary stack, on the resource it is about. */
export function acknowledgePrimaryStack(stack: Stack, parts: PrimaryStackParts): void {
  const { system } = parts;
  for (const [name, fn] of Object.entries(parts.functions)) {
    const dlq = deadLetterReason(system, name);
    acknowledge(fn.function, REASONS.nodeRuntime, REASONS.concurrency, REASONS.vpc, ...(dlq ? [dlq] : []));
    acknowledge(fn.policy, ...grantWildcards(stack, fn.declaration.grants, parts.tables, parts.buckets, arnOf, () => parts.replication?.replicaBucketArn ?? '<no replica>'));
  }
  acknowledge(parts.tracing, REASONS.xrayWildcard);
  acknowledgeWorkflows(parts.workflows, parts);
  for (const [logical, bucket] of Object.entries(parts.buckets)) {
    if (logical !== system.replication?.source) acknowledge(cfn(bucket), REASONS.derivedNotReplicated);
    else if (!parts.replication) acknowledge(cfn(bucket), REASONS.notReplicatedYet);
  }
  if (parts.replication) acknowledge(parts.replication.policy, ...replicationWildcards(parts.replication));
  acknowledge(cfn(parts.accessLogs), REASONS.accessLogsNotReplicated, REASONS.accessLogsSseS3);
  for (const table of Object.values(parts.tables)) acknowledge(cfn(table), REASONS.backupPlan);
  acknowledgeBucketNotificationHandler(stack);

  const { restApi } = parts.api;
  acknowledge(cfn(restApi), REASONS.requestValidation);
  acknowledge(cfn(restApi.deploymentStage), REASONS.apiCache, REASONS.apiBackendCert, ...(parts.waf ? [] : [REASONS.wafOptional]));
  const logsRole = restApi.node.tryFindChild('CloudWatchRole');
  if (logsRole) acknowledge(logsRole, REASONS.apiGatewayLogsRole);
  for (const { route, method } of parts.api.methods) {
    const reasons = route.scope ? undefined : PUBLIC_ROUTES.get(`${route.method} ${route.path}`);
    if (reasons) acknowledge(method, ...reasons);
  }
  acknowledge(cfn(parts.userPool), REASONS.noThreatProtection);
  acknowledge(cfn(parts.deadLetters), REASONS.isDeadLetterQueue);
  if (parts.dataPlane) acknowledgeDataPlane(parts.dataPlane, parts);
}

/**
 * The workflows' nested stack: each state machine's CDK role policy. The task functions are the
 * primary stack's, so the policy names them through the nested stack's parameters.
 */
function acknowledgeWorkflows(nested: WorkflowsStack, parts: PrimaryStackParts): void {
  for (const [logical, machine] of Object.entries(nested.workflows.stateMachines)) {
    const policy = machine.role.node.tryFindChild('DefaultPolicy');
    if (!policy) continue;
    const tasks = new Set(Object.values(parts.system.stateMachines[logical]!.functions));
    acknowledge(
      policy,
      REASONS.workflowWildcard,
      REASONS.cdkInlinePolicy,
      ...[...tasks].map((task) => ({ id: `AwsSolutions-IAM5[Resource::${parameterArnOf(parts.functions[task]!.function)}:*]`, reason: 'Step Functions may invoke any version or alias of its task function.' })),
    );
  }
}

/** The data plane's nested stack: each acknowledgment on its one resource there, as for the primary stack. */
function acknowledgeDataPlane(nested: DataPlaneStack, parts: PrimaryStackParts): void {
  const dataPlane = nested.service;
  acknowledge(cfn(dataPlane.taskDefinition), REASONS.dataPlaneEnvironment);
  // Its tables and buckets are the primary stack's, seen through the nested stack's parameters.
  acknowledge(dataPlane.taskPolicy, ...grantWildcards(nested, dataPlaneGrants(parts.system), parts.tables, parts.buckets, parameterArnOf));
  const executionPolicy = dataPlane.taskDefinition.executionRole?.node.tryFindChild('DefaultPolicy');
  if (executionPolicy) acknowledge(executionPolicy, REASONS.dataPlaneExecutionRole, REASONS.dataPlaneCdkInline);
  acknowledge(dataPlane.loadBalancerSecurityGroup, REASONS.dataPlaneInternetIngress);
  const vpc = dataPlane.vpc;
  for (const subnet of vpc.publicSubnets) {
    const route = subnet.node.tryFindChild('DefaultRoute');
    if (route) acknowledge(route, REASONS.dataPlaneRouteToInternet);
  }
  acknowledge(cfn(vpc), REASONS.dataPlaneDefaultSecurityGroup);
  const flowLogRole = vpc.node.tryFindChild('all')?.node.tryFindChild('IAMRole')?.node.tryFindChild('DefaultPolicy');
  if (flowLogRole) acknowledge(flowLogRole, REASONS.dataPlaneCdkInline);
}

/** The DR stack: the replica bucket, its access logs, and the notification handler. */
export function acknowledgeDrStack(stack: Stack, parts: { replica: s3.Bucket; accessLogs: s3.Bucket }): void {
  acknowledge(cfn(parts.replica), REASONS.replicaNotReplicated);
  acknowledge(cfn(parts.accessLogs), REASONS.accessLogsNotReplicated, REASONS.accessLogsSseS3);
  acknowledgeBucketNotificationHandler(stack);
}
