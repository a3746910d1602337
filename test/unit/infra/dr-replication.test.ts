/**
 * The archive's replication into the DR stack's replica (infra/constructs/dr-replication.ts,
 * infra/dr-stack.ts): the rule, the role's exact permissions, and the replica's key and
 * bucket policies admitting the role, same account or another. The DR audit workflow: daily,
 * its alarms notifying an encrypted topic, its step reading the replica and nothing more.
 */
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { replicaReaderRoleName, replicationRoleName } from '#infra/constructs/dr-replication.ts';
import { stateMachineName } from '#infra/constructs/workflows.ts';
import { DR_METRIC, DR_METRICS_NAMESPACE } from '#core/dr/audit-metrics.ts';
import { DEPLOYMENT_DIMENSION } from '#core/metrics/embedded-metrics.ts';
import { FIXITY_METRIC, FIXITY_METRICS_NAMESPACE } from '#core/fixity/sweep-metrics.ts';
import { system } from '#infra/system.ts';
import { synth } from '#test/helpers/synth.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown; Condition?: unknown };

const PRIMARY_ACCOUNT = '123456789012';
const DR_ACCOUNT = '210987654321';
const REPLICA_BUCKET = 'arn:aws:s3:::strata-dr-replica-bucket';
const REPLICA_KEY = `arn:aws:kms:us-west-2:${DR_ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;

/** A synth with cdk-nag takes ~10 s alone, minutes on a loaded machine. */
const SYNTH_TIMEOUT_MS = 300_000;

/** The primary stack's default name: the fixed names carry it. */
const STACK = 'Strata';
const REPLICATION_ROLE_NAME = replicationRoleName(STACK);

const resourcesOf = (template: Template) => (template.toJSON() as { Resources: Resources }).Resources;
const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const actions = (statement: Statement) => [statement.Action].flat().sort();

describe('DR replication (CDK)', () => {
  let primary: Resources;
  let dr: Resources;
  let archiveId: string;
  let synthesized: ReturnType<typeof synth>;

  beforeAll(() => {
    synthesized = synth(system, {
      drBucketArn: REPLICA_BUCKET,
      drKeyArn: REPLICA_KEY,
      drStorageClass: 'DEEP_ARCHIVE',
      drReplicationMonitoring: 'rtc',
      primaryAccount: PRIMARY_ACCOUNT,
      dataPlane: 'false',
    });
    primary = resourcesOf(synthesized.template);
    dr = resourcesOf(Template.fromStack(synthesized.dr));
    archiveId = ofType(primary, 'AWS::S3::Bucket').find(([id]) => id.startsWith('Bucketarchive'))![0];
  }, SYNTH_TIMEOUT_MS);

  it('replicates every archive object to the replica bucket, re-encrypted with the replica key, without delete markers', () => {
    const config = primary[archiveId]!.Properties.ReplicationConfiguration as { Role: unknown; Rules: unknown[] };
    expect(config.Rules).toEqual([
      {
        Id: 'dr-copy',
        Status: 'Enabled',
        Priority: 0,
        Filter: { Prefix: '' },
        DeleteMarkerReplication: { Status: 'Disabled' },
        SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
        Destination: {
          Bucket: REPLICA_BUCKET,
          EncryptionConfiguration: { ReplicaKmsKeyID: REPLICA_KEY },
          StorageClass: 'DEEP_ARCHIVE',
          ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
          Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
        },
      },
    ]);
    const [roleId, role] = ofType(primary, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === REPLICATION_ROLE_NAME)!;
    expect(config.Role).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    expect((role.Properties.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' } },
    ]);
    // Object Lock is replicated when both buckets have it: the replica (DR stack) does.
    const replica = ofType(dr, 'AWS::S3::Bucket').find(([id]) => id.startsWith('Replica'))![1];
    expect(replica.Properties.ObjectLockEnabled).toBe(true);
    expect(primary[archiveId]!.Properties.ObjectLockEnabled).toBe(true);
  });

  it('gives the role exactly the replication permissions, each on its own resource', () => {
    const [roleId] = ofType(primary, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === REPLICATION_ROLE_NAME)!;
    const policies = [...ofType(primary, 'AWS::IAM::Policy'), ...ofType(primary, 'AWS::IAM::ManagedPolicy')].filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]));
    expect(policies).toHaveLength(1);
    const statements = (policies[0]![1].Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const archiveArn = { 'Fn::GetAtt': [archiveId, 'Arn'] };
    const archiveObjects = { 'Fn::Join': ['', [archiveArn, '/*']] };
    const keyId = ofType(primary, 'AWS::KMS::Key').find(([id]) => id.startsWith('Encryption'))![0];
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, { actions: actions(s), resource: s.Resource, condition: s.Condition }]));
    expect(bySid).toEqual({
      ReadTheSourceConfiguration: { actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'], resource: archiveArn, condition: undefined },
      ReadSourceVersionsAndLocks: {
        actions: ['s3:GetObjectLegalHold', 's3:GetObjectRetention', 's3:GetObjectVersionAcl', 's3:GetObjectVersionForReplication', 's3:GetObjectVersionTagging'],
        resource: archiveObjects,
        condition: undefined,
      },
      WriteReplicas: { actions: ['s3:ReplicateDelete', 's3:ReplicateObject', 's3:ReplicateTags'], resource: `${REPLICA_BUCKET}/*`, condition: undefined },
      DecryptSourceThroughS3: {
        actions: ['kms:Decrypt'],
        resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
        condition: {
          StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [archiveArn, archiveObjects] },
        },
      },
      EncryptReplicasThroughS3: {
        actions: ['kms:Encrypt'],
        resource: REPLICA_KEY,
        condition: {
          StringEquals: { 'kms:ViaService': 's3.us-west-2.amazonaws.com' },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [REPLICA_BUCKET, `${REPLICA_BUCKET}/*`] },
        },
      },
    });
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('admits the role in the replica key policy and bucket policy of the DR stack, from the primary account', () => {
    const roleArn = `arn:aws:iam::${PRIMARY_ACCOUNT}:role/${REPLICATION_ROLE_NAME}`;
    const principal = { AWS: `arn:aws:iam::${PRIMARY_ACCOUNT}:root` };
    const key = ofType(dr, 'AWS::KMS::Key')[0]![1];
    const keyStatement = (key.Properties.KeyPolicy as { Statement: Statement[] }).Statement.find((s) => s.Sid === 'StrataReplicationEncryptsReplicas')!;
    const replicaId = ofType(dr, 'AWS::S3::Bucket').find(([id]) => id.startsWith('Replica'))![0];
    expect(keyStatement).toEqual({
      Sid: 'StrataReplicationEncryptsReplicas',
      Effect: 'Allow',
      Principal: principal,
      Action: 'kms:Encrypt',
      Resource: '*',
      Condition: {
        ArnEquals: { 'aws:PrincipalArn': roleArn },
        StringEquals: { 'kms:ViaService': 's3.us-west-2.amazonaws.com' },
      },
    });
    const bucketPolicy = ofType(dr, 'AWS::S3::BucketPolicy').find(([, p]) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: replicaId }))![1];
    const statements = (bucketPolicy.Properties.PolicyDocument as { Statement: Statement[] }).Statement.filter((s) => s.Sid?.startsWith('StrataReplication'));
    expect(statements.map((s) => [s.Sid, actions(s), s.Principal, s.Condition])).toEqual([
      ['StrataReplicationWritesReplicas', ['s3:ReplicateDelete', 's3:ReplicateObject', 's3:ReplicateTags'], principal, { ArnEquals: { 'aws:PrincipalArn': roleArn } }],
      ['StrataReplicationChecksVersioning', ['s3:GetBucketVersioning', 's3:PutBucketVersioning'], principal, { ArnEquals: { 'aws:PrincipalArn': roleArn } }],
    ]);
  });

  it('runs the DR audit and the fixity sweep daily; their alarms watch the published sums and notify a topic encrypted with the key', () => {
    const workflows = Template.fromStack(synthesized.primary.workflows);
    const nested = resourcesOf(workflows);
    for (const logical of ['drAudit', 'fixitySweep']) {
      const name = stateMachineName(synthesized.primary.stackName, logical);
      const [machineId] = ofType(nested, 'AWS::StepFunctions::StateMachine').find(([, m]) => m.Properties.StateMachineName === name)!;
      workflows.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)', Targets: [Match.objectLike({ Arn: { Ref: machineId } })] });
    }
    const [topicId, topic] = ofType(nested, 'AWS::SNS::Topic')[0]!;
    expect(topic.Properties).toMatchObject({ TopicName: `${STACK}-alarms`, KmsMasterKeyId: expect.anything() });
    const alarms = Object.fromEntries(ofType(nested, 'AWS::CloudWatch::Alarm').map(([, a]) => [a.Properties.AlarmName, a.Properties]));
    const onPublished = {
      [`${STACK}-DrReplicasMissing`]: [DR_METRICS_NAMESPACE, DR_METRIC.unreplicated, 0],
      [`${STACK}-DrReplicasCorrupted`]: [DR_METRICS_NAMESPACE, DR_METRIC.mismatched, 0],
      [`${STACK}-DrRecoveryPointTooOld`]: [DR_METRICS_NAMESPACE, DR_METRIC.oldestUnreplicated, 3600],
      [`${STACK}-DrAuditIncomplete`]: [DR_METRICS_NAMESPACE, DR_METRIC.failedTenants, 0],
      [`${STACK}-FixityDamage`]: [FIXITY_METRICS_NAMESPACE, FIXITY_METRIC.damaged, 0],
      [`${STACK}-FixitySweepIncomplete`]: [FIXITY_METRICS_NAMESPACE, FIXITY_METRIC.failedTenants, 0],
    } as const;
    // The disposition workflow has no published figures, but a failed run waits to be resumed (docs/disposition.md).
    const onFailures = { [`${STACK}-DrAuditFailed`]: 'drAudit', [`${STACK}-FixitySweepFailed`]: 'fixitySweep', [`${STACK}-DispositionFailed`]: 'disposition' } as const;
    const expected = { ...onPublished, ...onFailures };
    expect(Object.keys(alarms).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, [namespace, metric, threshold]] of Object.entries(onPublished)) {
      expect(alarms[name], name).toMatchObject({
        Namespace: namespace,
        MetricName: metric,
        Statistic: 'Maximum',
        Period: 86_400,
        EvaluationPeriods: 1,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: topicId }],
      });
      // This deployment's figures only (lambdas/adapters/metrics.ts publishes them under its name).
      expect(alarms[name]!.Dimensions, name).toEqual([{ Name: DEPLOYMENT_DIMENSION, Value: STACK }]);
    }
    // A run that fails before publishing would leave the alarms above at OK: its failures are an alarm.
    for (const [name, logical] of Object.entries(onFailures)) {
      const [machineId] = ofType(nested, 'AWS::StepFunctions::StateMachine').find(([, m]) => m.Properties.StateMachineName === stateMachineName(STACK, logical))!;
      const queries = alarms[name]!.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] }; Period: number; Stat: string } }[];
      expect(queries.find((q) => q.Expression)!.Expression).toBe('FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)');
      const watched = queries.filter((q) => q.MetricStat).map((q) => [q.Id, q.MetricStat!.Metric.Namespace, q.MetricStat!.Metric.MetricName, q.MetricStat!.Period, q.MetricStat!.Stat]);
      expect(watched.sort()).toEqual([
        ['aborted', 'AWS/States', 'ExecutionsAborted', 86_400, 'Sum'],
        ['failed', 'AWS/States', 'ExecutionsFailed', 86_400, 'Sum'],
        ['timedOut', 'AWS/States', 'ExecutionsTimedOut', 86_400, 'Sum'],
      ]);
      for (const query of queries.filter((q) => q.MetricStat)) expect(query.MetricStat!.Metric.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: { Ref: machineId } }]);
      expect(alarms[name]).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching', AlarmActions: [{ Ref: topicId }] });
    }
    expect(alarms[`${STACK}-DispositionFailed`]!.AlarmDescription).toMatch(/FAILED.*resume it/);
    // CloudWatch may publish to the topic, and encrypt with the key, for these alarms only.
    const alarmArns = Object.keys(expected).map((name) => `arn:aws:cloudwatch:us-east-1:${PRIMARY_ACCOUNT}:alarm:${name}`);
    const rendered = (value: unknown) => JSON.stringify(value).replace(/\{"Ref":"AWS::(\w+)"\}/g, (_, p: string) => ({ Partition: 'aws', Region: 'us-east-1', AccountId: PRIMARY_ACCOUNT })[p] ?? p);
    const topicPolicy = ofType(nested, 'AWS::SNS::TopicPolicy')[0]![1];
    const publish = (topicPolicy.Properties.PolicyDocument as { Statement: Statement[] }).Statement.find((st) => st.Sid === 'AlarmsPublish')!;
    expect(publish).toMatchObject({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' });
    const key = ofType(primary, 'AWS::KMS::Key').find(([id]) => id.startsWith('Encryption'))![1];
    const admitted = (key.Properties.KeyPolicy as { Statement: Statement[] }).Statement.find((st) => st.Sid === 'CloudWatchAlarmsNotifyTheTopic')!;
    expect(admitted).toMatchObject({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] });
    for (const arn of alarmArns) {
      expect(rendered(admitted.Condition)).toContain(`:alarm:${arn.split(':alarm:')[1]}"`);
      expect(rendered(publish.Condition)).toContain(`:alarm:${arn.split(':alarm:')[1]}"`);
    }
  });

  it('lets the DR audit step list the replica and read its objects\' checksums (decrypting with the replica key), and nothing else there', () => {
    const policyId = synthesized.primary.getLogicalId(synthesized.primary.functions.auditReplicaPage!.policy.node.defaultChild as never);
    const statements = (primary[policyId]!.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const onReplica = statements.filter((st) => JSON.stringify(st.Resource).includes(REPLICA_BUCKET) || JSON.stringify(st.Resource).includes(REPLICA_KEY)).map((st) => [actions(st), st.Resource]);
    // HeadObject with ChecksumMode on a KMS-encrypted replica needs kms:Decrypt on the replica's key (not the primary's).
    expect(onReplica).toEqual([
      [['s3:GetObject'], `${REPLICA_BUCKET}/*`],
      [['s3:ListBucket'], REPLICA_BUCKET],
      [['kms:Decrypt'], REPLICA_KEY],
    ]);
    const [fnId] = ofType(primary, 'AWS::Lambda::Function').find(([id]) => id.startsWith('FnauditReplicaPage'))!;
    const variables = (primary[fnId]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.BUCKET_DR_REPLICA).toBe('strata-dr-replica-bucket');
    // Its client asks the replica's Region first (no redirect per request).
    expect(variables.BUCKET_DR_REPLICA_REGION).toBe('us-west-2');
    // A fixed role name, which the DR stack admits by ARN (next test).
    const roleId = synthesized.primary.getLogicalId(synthesized.primary.functions.auditReplicaPage!.role.node.defaultChild as never);
    expect(primary[roleId]!.Properties.RoleName).toBe(replicaReaderRoleName(STACK, 'auditReplicaPage'));
  });

  it('admits the DR audit step\'s role, from the primary account, to list and read the replica and decrypt through S3', () => {
    const roleArn = `arn:aws:iam::${PRIMARY_ACCOUNT}:role/${STACK}-dr-auditReplicaPage`;
    const principal = { AWS: `arn:aws:iam::${PRIMARY_ACCOUNT}:root` };
    const isTheRole = { ArnEquals: { 'aws:PrincipalArn': roleArn } };
    const key = ofType(dr, 'AWS::KMS::Key')[0]![1];
    expect((key.Properties.KeyPolicy as { Statement: Statement[] }).Statement.find((s) => s.Sid === 'StrataAuditReplicaPageDecryptsReplicas')).toEqual({
      Sid: 'StrataAuditReplicaPageDecryptsReplicas',
      Effect: 'Allow',
      Principal: principal,
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { ...isTheRole, StringEquals: { 'kms:ViaService': 's3.us-west-2.amazonaws.com' } },
    });
    const replicaId = ofType(dr, 'AWS::S3::Bucket').find(([id]) => id.startsWith('Replica'))![0];
    const bucketPolicy = ofType(dr, 'AWS::S3::BucketPolicy').find(([, p]) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: replicaId }))![1];
    const statements = (bucketPolicy.Properties.PolicyDocument as { Statement: Statement[] }).Statement.filter((s) => s.Sid?.startsWith('StrataAuditReplicaPage'));
    expect(statements.map((s) => [s.Sid, actions(s), s.Principal, s.Condition, s.Resource])).toEqual([
      ['StrataAuditReplicaPageListsReplicas', ['s3:ListBucket'], principal, isTheRole, { 'Fn::GetAtt': [replicaId, 'Arn'] }],
      ['StrataAuditReplicaPageReadsReplicas', ['s3:GetObject'], principal, isTheRole, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [replicaId, 'Arn'] }, '/*']] }],
    ]);
  });

  it('gives two deployments in one account (-c stackName) no fixed name in common, and keeps their metrics apart', () => {
    const staging = synth(system, { stackName: 'StrataStaging', drBucketArn: REPLICA_BUCKET, drKeyArn: REPLICA_KEY, primaryAccount: PRIMARY_ACCOUNT, dataPlane: 'false' });
    expect([staging.primary.stackName, staging.dr.stackName]).toEqual(['StrataStaging', 'StrataStagingDr']);
    // Every name a resource is given rather than generated, of the kinds whose names are unique in an account (or Region).
    const UNIQUE_NAME: Record<string, string> = {
      'AWS::IAM::Role': 'RoleName',
      'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
      'AWS::CloudWatch::Alarm': 'AlarmName',
      'AWS::SNS::Topic': 'TopicName',
      'AWS::SQS::Queue': 'QueueName',
      'AWS::Events::Rule': 'Name',
      'AWS::StepFunctions::StateMachine': 'StateMachineName',
      'AWS::Logs::LogGroup': 'LogGroupName',
      'AWS::DynamoDB::Table': 'TableName',
      'AWS::S3::Bucket': 'BucketName',
      'AWS::KMS::Alias': 'AliasName',
      'AWS::Lambda::Function': 'FunctionName',
    };
    const fixedNames = (stacks: ReturnType<typeof synth>) => {
      const names = new Set<string>();
      for (const stack of [stacks.primary, stacks.primary.workflows, stacks.dr]) {
        for (const resource of Object.values(resourcesOf(Template.fromStack(stack)))) {
          const value = UNIQUE_NAME[resource.Type] ? resource.Properties?.[UNIQUE_NAME[resource.Type]!] : undefined;
          if (value !== undefined) names.add(`${resource.Type} ${JSON.stringify(value)}`);
        }
      }
      return names;
    };
    const ours = fixedNames(synthesized);
    const theirs = fixedNames(staging);
    for (const kind of ['AWS::IAM::Role', 'AWS::CloudWatch::Alarm', 'AWS::SNS::Topic', 'AWS::Events::Rule', 'AWS::StepFunctions::StateMachine']) {
      expect([...theirs.keys()].some((name) => name.startsWith(kind)), kind).toBe(true);
    }
    expect([...theirs.keys()].filter((name) => ours.has(name))).toEqual([]);
    // Their alarms watch their own Deployment dimension.
    const alarms = ofType(resourcesOf(Template.fromStack(staging.primary.workflows)), 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.Dimensions);
    expect(alarms.length).toBe(6);
    for (const [, alarm] of alarms) expect(alarm.Properties.Dimensions).toEqual([{ Name: DEPLOYMENT_DIMENSION, Value: 'StrataStaging' }]);
    // Their functions publish under that name.
    const deployments = new Set(ofType(resourcesOf(staging.template), 'AWS::Lambda::Function').filter(([id]) => id.startsWith('Fn')).map(([, fn]) => (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.STRATA_DEPLOYMENT));
    expect([...deployments]).toEqual(['StrataStaging']);
  }, SYNTH_TIMEOUT_MS);

  it('lets the disposition purge list, look for Object Lock on, and delete every version in the replica, and nothing else there', () => {
    const policyId = synthesized.primary.getLogicalId(synthesized.primary.functions.purgeStudies!.policy.node.defaultChild as never);
    const statements = (primary[policyId]!.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const onReplica = statements.filter((st) => JSON.stringify(st.Resource).includes(REPLICA_BUCKET)).map((st) => [actions(st), st.Resource]);
    // CDK merges the two buckets' ListBucketVersions into one statement.
    expect(onReplica).toEqual([
      [['s3:ListBucket', 's3:ListBucketVersions'], [REPLICA_BUCKET, { 'Fn::GetAtt': [expect.stringMatching(/^Bucketarchive/), 'Arn'] }]],
      [['s3:DeleteObjectVersion', 's3:GetObjectLegalHold', 's3:GetObjectRetention'], `${REPLICA_BUCKET}/*`],
    ]);
    const [fnId] = ofType(primary, 'AWS::Lambda::Function').find(([id]) => id.startsWith('FnpurgeStudies'))!;
    expect((primary[fnId]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables.BUCKET_DR_REPLICA).toBe('strata-dr-replica-bucket');
  });

  it('without the DR outputs, synthesizes no replication and warns that the archive has one copy', () => {
    const synthesized = synth(system, { dataPlane: 'false' });
    const resources = resourcesOf(synthesized.template);
    expect(Object.values(resources).some((r) => r.Properties?.ReplicationConfiguration !== undefined)).toBe(false);
    expect(Object.values(resources).some((r) => r.Properties?.RoleName === REPLICATION_ROLE_NAME)).toBe(false);
    const warnings = Annotations.fromStack(synthesized.primary).findWarning('*', Match.stringLikeRegexp('archive is not replicated.*drBucketArn.*drKeyArn'));
    expect(warnings.length).toBe(1);
    // The DR audit's step has no replica to read: no grant and no bucket name (its run fails, and its alarm says so).
    const [fnId, fn] = ofType(resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('FnauditReplicaPage'))!;
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.BUCKET_DR_REPLICA).toBeUndefined();
    expect(fnId).toBeTruthy();
    expect(JSON.stringify(ofType(resources, 'AWS::IAM::ManagedPolicy').filter(([id]) => id.startsWith('FnauditReplicaPage')))).not.toContain('s3:');
    // With the bucket but not its key, likewise (the reads need both).
    const halfway = resourcesOf(synth(system, { drBucketArn: REPLICA_BUCKET, dataPlane: 'false' }).template);
    expect(JSON.stringify(ofType(halfway, 'AWS::IAM::ManagedPolicy').filter(([id]) => id.startsWith('FnauditReplicaPage')))).not.toContain('s3:');
    // The purge destroys the archive's copy only, and its certificate lists that one copy.
    const [, purge] = ofType(resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('FnpurgeStudies'))!;
    expect((purge.Properties.Environment as { Variables: Record<string, unknown> }).Variables.BUCKET_DR_REPLICA).toBeUndefined();
  }, SYNTH_TIMEOUT_MS);

  it('refuses a replica storage class S3 does not have', () => {
    expect(() => synth(system, { drBucketArn: REPLICA_BUCKET, drKeyArn: REPLICA_KEY, drStorageClass: 'COLD', dataPlane: 'false' })).toThrow(/drStorageClass=COLD/);
  });
});
