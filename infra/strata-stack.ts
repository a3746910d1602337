/**
 * The production stack: composes the constructs from the one system declaration
 * (infra/system.ts). It holds no resource definitions of its own beyond the wiring.
 */
import { Annotations, ArnFormat, CfnOutput, Duration, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ALLOWED_ORIGINS_ENV } from '#core/cors-policy.ts';
import { DEPLOYMENT_ENV } from '#core/metrics/embedded-metrics.ts';
import { COST_ALLOCATION_TAG } from '#core/finance/reconcile.ts';
import { DataPlaneStack } from './constructs/data-plane-stack.ts';
import { DicomwebApi } from './constructs/dicomweb-api.ts';
import { DrReplication, replicaReaderRoleName, replicaReaders, replicaRegion, replicationRoleName } from './constructs/dr-replication.ts';
import { apiWithDataPlane, dataPlaneFunctions, dataPlaneGrants, dataPlaneRouteEnvironment } from './dataplane/declaration.ts';
import { DATA_PLANE_PORT, dataPlaneImageDirectory } from './dataplane/image.ts';
import { EncryptionKey } from './constructs/encryption-key.ts';
import { EventRules } from './constructs/event-rules.ts';
import { SigningKeys } from './constructs/signing-keys.ts';
import { grantStatements, TRACING_ACTIONS, type ResourceArns } from './constructs/grants.ts';
import { Identity } from './constructs/identity.ts';
import { MetadataIndex } from './constructs/metadata-index.ts';
import { ObjectStore, accessLogBucket } from './constructs/object-store.ts';
import { bundledStaticFilesPath, StrataFunction } from './constructs/strata-function.ts';
import { alarmTopicName, wafLogGroupName } from './constructs/scoped-names.ts';
import { stateMachineName } from './constructs/workflows.ts';
import { WorkflowsStack } from './constructs/workflows-stack.ts';
import { acknowledgePrimaryStack } from './nag-suppressions.ts';
import type { StrataSettings } from './settings.ts';
import { envNameForResource, functionEnvironment } from './system-env.ts';
import { functionTimeoutSeconds, type SystemDeclaration } from './system-types.ts';


export interface StrataStackProps extends StackProps {
  system: SystemDeclaration;
  settings: StrataSettings;
  projectRoot: string;
}

export class StrataStack extends Stack {
  readonly functions: Record<string, StrataFunction> = {};
  readonly api: DicomwebApi;
  /** The workflows' nested stack (state machines, their roles, logs and schedules). */
  readonly workflows: WorkflowsStack;
  /** The data plane's nested stack, when the data plane is configured. */
  readonly dataPlane?: DataPlaneStack;

  constructor(scope: Construct, id: string, props: StrataStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const system = withReplicaGrants(props.system, settings);
    const replica = system.replication?.replica;
    const logRetention = settings.logRetentionDays as logs.RetentionDays;
    const { key } = new EncryptionKey(this, 'Encryption');
    const signingKeys = new SigningKeys(this, 'Signing', system.signingKeys ?? {}).keys;
    const accessLogs = accessLogBucket(this, 'AccessLogs', Duration.days(settings.accessLogRetentionDays));

    const buckets = Object.fromEntries(
      Object.entries(system.buckets).map(([logical, declaration]) => {
        const { bucket } = new ObjectStore(this, `Bucket-${logical}`, { declaration, key, accessLogs });
        // What Cost Explorer filters the bill by (`npm run report:opex -- --reconcile`, docs/finance.md).
        Tags.of(bucket).add(COST_ALLOCATION_TAG, `${this.stackName}/${logical}`);
        return [logical, bucket];
      }),
    );
    // The index's DR copy, opted into by context (a global table: docs/dr.md, "The index's copy").
    const indexReplica = settings.indexReplicaKeyArn ? { keyArn: settings.indexReplicaKeyArn, tableName: settings.indexTableName, importing: settings.indexReplicaImport } : undefined;
    const tables = Object.fromEntries(
      Object.entries(system.tables).map(([logical, declaration]) => [logical, new MetadataIndex(this, `Table-${logical}`, { declaration, key, replica: declaration.drReplica ? indexReplica : undefined }).table]),
    );
    // State machine ARNs are built from their fixed names: functions need them in their
    // environment, and the state machines need the functions (no dependency cycle).
    const machineName = (logical: string) => stateMachineName(this.stackName, logical);
    const stateMachineArn = (logical: string) =>
      this.formatArn({ service: 'states', resource: 'stateMachine', resourceName: machineName(logical), arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const arns: ResourceArns = {
      table: (logical) => ({ arn: required(tables, logical, 'table').tableArn, indexArn: `${required(tables, logical, 'table').tableArn}/index/*` }),
      // The replica is the DR stack's, encrypted with the DR stack's key (HeadObject with ChecksumMode decrypts).
      bucket: (logical) => (logical === replica ? { arn: settings.drBucketArn!, keyArn: settings.drKeyArn! } : { arn: required(buckets, logical, 'bucket').bucketArn }),
      stateMachine: (logical) => ({
        arn: stateMachineArn(logical),
        executionsArn: this.formatArn({ service: 'states', resource: 'execution', resourceName: `${machineName(logical)}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      }),
      eventBus: (name) => ({ arn: this.formatArn({ service: 'events', resource: 'event-bus', resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }) }),
      keyArn: key.keyArn,
      signingKey: (logical) => ({ arn: required(signingKeys, logical, 'signing key').keyArn }),
    };
    const resolved = {
      table: (logical: string) => required(tables, logical, 'table').tableName,
      bucket: (logical: string) => (logical === replica ? bucketNameOfArn(settings.drBucketArn!) : required(buckets, logical, 'bucket').bucketName),
      stateMachineArn,
      staticFiles: bundledStaticFilesPath,
      signingKeyArn: (logical: string) => required(signingKeys, logical, 'signing key').keyArn,
    };
    const tracing = new iam.ManagedPolicy(this, 'Tracing', {
      description: 'X-Ray tracing for every strata function and the data plane task',
      statements: [new iam.PolicyStatement({ actions: TRACING_ACTIONS, resources: ['*'] })],
    });
    // The functions that read the replica have fixed role names, which the DR stack's policies admit (another account too).
    const readers = replicaReaders(system);
    const version = (JSON.parse(readFileSync(resolve(props.projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
    const publicUrl = settings.domainName ? `https://${settings.domainName}` : undefined;
    for (const [name, declaration] of Object.entries(system.functions)) {
      this.functions[name] = new StrataFunction(this, `Fn-${name}`, {
        name,
        declaration,
        timeoutSeconds: functionTimeoutSeconds(system, name),
        tracing,
        projectRoot: props.projectRoot,
        ...(name in readers ? { roleName: replicaReaderRoleName(this.stackName, name) } : {}),
        environment: {
          ...functionEnvironment(declaration, resolved),
          // The replica's Region, so its client asks there first instead of following a redirect per request.
          ...(name in readers ? { [`${envNameForResource(`bucket:${replica!}`)}_REGION`]: replicaRegion(settings.drKeyArn!) } : {}),
          STRATA_VERSION: version,
          [DEPLOYMENT_ENV]: this.stackName,
          // The one CORS policy: the gateway's preflights and errors and the handlers' responses.
          [ALLOWED_ORIGINS_ENV]: settings.allowedOrigins.join(','),
          ...(publicUrl ? { STRATA_PUBLIC_URL: publicUrl } : {}),
        },
        arns,
        key,
        logRetention,
      });
    }
    const functionOf = (logical: string): lambda.IFunction => required(this.functions, logical, 'function').function;

    const identity = new Identity(this, 'Identity', {
      resourceServer: system.api.resourceServer,
      scopes: system.api.scopes,
      tokenTrigger: functionOf(system.api.tokenTrigger),
      domainPrefix: settings.cognitoDomainPrefix });
    const dataPlaneUrl = this.dataPlaneUrl(settings);
    if (dataPlaneUrl) {
      // A nested stack of its own: the primary stack keeps CloudFormation's 500 resources for the API.
      this.dataPlane = new DataPlaneStack(this, 'DataPlane', {
        imageDirectory: dataPlaneImageDirectory(props.projectRoot),
        port: DATA_PLANE_PORT,
        environment: {
          ...Object.assign({}, ...dataPlaneFunctions(system).map((name) => functionEnvironment(system.functions[name]!, resolved))),
          AWS_REGION: this.region,
          STRATA_VERSION: version,
          [DEPLOYMENT_ENV]: this.stackName,
          [ALLOWED_ORIGINS_ENV]: settings.allowedOrigins.join(','),
          // RetrieveURLs in its STOW answers point at the data plane, which serves any size.
          STRATA_PUBLIC_URL: dataPlaneUrl,
          STRATA_DATA_PLANE_ROUTES: dataPlaneRouteEnvironment(system),
          STRATA_USER_POOL_ID: identity.userPool.userPoolId,
          STRATA_RESOURCE_SERVER: system.api.resourceServer,
          POWERTOOLS_SERVICE_NAME: 'strata',
        },
        statements: grantStatements(dataPlaneGrants(system), arns),
        tracing,
        key,
        accessLogs,
        logRetention,
        certificateArn: settings.dataPlane.certificateArn!,
        ingressCidrs: settings.dataPlane.ingressCidrs,
        cpu: settings.dataPlane.cpu,
        memoryMiB: settings.dataPlane.memoryMiB,
        maxTasks: settings.dataPlane.maxTasks,
      });
      new CfnOutput(this, 'DataPlaneUrl', { value: `${dataPlaneUrl}/dicom-web`, description: 'Large STOW-RS and whole-study WADO-RS (any size)' });
      new CfnOutput(this, 'DataPlaneLoadBalancer', { value: this.dataPlane.service.loadBalancer.loadBalancerDnsName, description: `Point ${settings.dataPlane.domainName} here (DNS CNAME or alias)` });
    }
    this.api = new DicomwebApi(this, 'DicomWeb', {
      // API Gateway's 413 tells the client where a request of that size goes instead.
      api: dataPlaneUrl ? apiWithDataPlane(system.api, dataPlaneUrl) : system.api,
      routes: system.routes,
      functions: Object.fromEntries(Object.entries(this.functions).map(([name, fn]) => [name, { function: fn.function, declaration: system.functions[name]! }])),
      userPool: identity.userPool,
      resourceServerId: system.api.resourceServer,
      key,
      logRetention,
      allowedOrigins: settings.allowedOrigins,
      throttle: settings.throttle,
      customDomain: settings.domainName && settings.certificateArn ? { domainName: settings.domainName, certificateArn: settings.certificateArn } : undefined,
    });
    // A nested stack of its own, as the data plane's: the primary stack keeps its 500 resources for the API.
    this.workflows = new WorkflowsStack(this, 'Workflows', { projectRoot: props.projectRoot, stackName: this.stackName, stateMachines: system.stateMachines, functionOf, key, logRetention });
    const events = new EventRules(this, 'Events', { rules: system.eventRules, bucketOf: (logical) => required(buckets, logical, 'bucket'), functionOf, key });
    if (settings.waf) this.addWaf(key, logRetention);
    const replication = this.drReplication(system, settings, buckets, key);

    new CfnOutput(this, 'ApiUrl', { value: publicUrl ?? this.api.restApi.url, description: 'DICOMweb base: <ApiUrl>dicom-web' });
    new CfnOutput(this, 'UserPoolId', { value: identity.userPool.userPoolId, description: 'Create hospital clients here (README, Deploy to AWS)' });
    for (const [logical, bucket] of Object.entries(buckets)) new CfnOutput(this, `Bucket${logical}`, { value: bucket.bucketName });
    if (settings.drBucketArn) new CfnOutput(this, 'DrBucketArn', { value: settings.drBucketArn, description: 'Replication target (DR stack)' });
    // Built from the topic's fixed name: nothing in this stack names a resource of the nested one.
    if (this.workflows.workflows.alarmTopic) {
      const topicArn = this.formatArn({ service: 'sns', resource: alarmTopicName(this.stackName), arnFormat: ArnFormat.NO_RESOURCE_NAME });
      new CfnOutput(this, 'AlarmTopicArn', { value: topicArn, description: 'Subscribe the operators here: DR audit and fixity sweep alarms (docs/dr.md)' });
    }
    acknowledgePrimaryStack(this, {
      system,
      functions: this.functions,
      tracing,
      tables,
      buckets,
      accessLogs,
      api: this.api,
      userPool: identity.userPool,
      workflows: this.workflows,
      deadLetters: events.deadLetters,
      waf: settings.waf,
      dataPlane: this.dataPlane,
      replication,
    });
  }

  /**
   * The archive's replication into the DR stack's replica (docs/dr.md), once that stack's
   * outputs are passed as context; until then a synth warning says the archive has one copy.
   */
  private drReplication(system: SystemDeclaration, settings: StrataSettings, buckets: Record<string, s3.Bucket>, key: kms.IKey): DrReplication | undefined {
    const rule = system.replication;
    if (!rule) return undefined;
    if (!settings.drBucketArn || !settings.drKeyArn) {
      Annotations.of(this).addWarningV2(
        'strata:drNotReplicated',
        'The archive is not replicated: deploy StrataDr first, then pass its outputs as -c drBucketArn=… -c drKeyArn=… (docs/dr.md).',
      );
      return undefined;
    }
    return new DrReplication(this, 'DrReplication', {
      roleName: replicationRoleName(this.stackName),
      source: required(buckets, rule.source, 'bucket'),
      sourceKey: key,
      replicaBucketArn: settings.drBucketArn,
      replicaKeyArn: settings.drKeyArn,
      storageClass: settings.drStorageClass ?? rule.storageClass,
      monitoring: settings.drReplicationMonitoring,
    });
  }

  /**
   * The data plane's public URL, or undefined (with a synth warning saying why) when it is off
   * or lacks the hostname and certificate that HTTPS needs.
   */
  private dataPlaneUrl(settings: StrataSettings): string | undefined {
    const { enabled, domainName, certificateArn } = settings.dataPlane;
    if (!enabled) return undefined;
    if (!domainName || !certificateArn) {
      Annotations.of(this).addWarningV2(
        'strata:dataPlaneNotDeployed',
        'The data plane (STOW-RS and WADO-RS of any size) is not deployed: it needs -c dataPlaneDomainName=<host> and -c dataPlaneCertificateArn=<ACM ARN> (or certificateArn). Without it the API takes requests up to ~4.4 MB only. -c dataPlane=false silences this.',
      );
      return undefined;
    }
    return `https://${domainName}`;
  }

  /**
   * AWS managed rules in front of the API (the body-size rule is left out because STOW bodies are
   * large by nature), logged to CloudWatch with what identifies patients redacted.
   */
  private addWaf(key: kms.IKey, logRetention: logs.RetentionDays): void {
    const acl = new wafv2.CfnWebACL(this, 'Waf', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'strata-waf', sampledRequestsEnabled: false },
      rules: [
        managedRule('AWSManagedRulesCommonRuleSet', 1, ['SizeRestrictions_BODY']),
        managedRule('AWSManagedRulesKnownBadInputsRuleSet', 2, []),
        managedRule('AWSManagedRulesAmazonIpReputationList', 3, []),
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'WafAssociation', { resourceArn: this.api.restApi.deploymentStage.stageArn, webAclArn: acl.attrArn });
    this.dataPlane?.associateWebAcl(acl.attrArn);
    // WAF delivers only to log groups named aws-waf-logs-*, addressed by an ARN without the ':*' suffix.
    const wafLogGroup = wafLogGroupName(this.stackName);
    const wafLogs = new logs.LogGroup(this, 'WafLogs', { logGroupName: wafLogGroup, retention: logRetention, encryptionKey: key });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: acl.attrArn,
      logDestinationConfigs: [this.formatArn({ service: 'logs', resource: 'log-group', resourceName: wafLogGroup, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      // QIDO query strings and DICOMweb paths carry patient names, IDs and UIDs; the bearer token is a credential.
      redactedFields: [{ queryString: {} }, { uriPath: {} }, { singleHeader: { Name: 'authorization' } }],
    });
    logging.node.addDependency(wafLogs);
  }
}

function managedRule(name: string, priority: number, excluded: string[]): wafv2.CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, excludedRules: excluded.map((rule) => ({ name: rule })) } },
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: false },
  };
}

function required<T>(map: Record<string, T>, logical: string, kind: string): T {
  const value = map[logical];
  if (!value) throw new Error(`no ${kind} "${logical}" is declared`);
  return value;
}

/**
 * Grants on the DR replica (the DR audit's reads, docs/dr.md) name the DR stack's bucket and key,
 * which this stack knows once `-c drBucketArn=… -c drKeyArn=…` are passed; until then they are
 * left out, and the DR audit's steps fail for want of the bucket (its alarm DrAuditIncomplete
 * says so) as the synth warning strata:drNotReplicated does.
 */
function withReplicaGrants(system: SystemDeclaration, settings: StrataSettings): SystemDeclaration {
  const replica = system.replication?.replica;
  if (!replica || (settings.drBucketArn && settings.drKeyArn)) return system;
  const functions = Object.fromEntries(
    Object.entries(system.functions).map(([name, fn]) => [name, { ...fn, grants: fn.grants.filter((grant) => grant.resource !== `bucket:${replica}`) }]),
  );
  return { ...system, functions };
}

/** `arn:aws:s3:::name` → `name`. */
const bucketNameOfArn = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);
