/**
 * The archive's replication into the DR stack's replica (infra/constructs/dr-replication.ts,
 * infra/dr-stack.ts): the rule, the role's exact permissions, and the replica's key and
 * bucket policies admitting the role, same account or another. The DR audit workflow: daily,
 * its alarms notifying an encrypted topic, its step reading the replica and nothing more.
 */
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPLICATION_ROLE_NAME } from '#infra/constructs/dr-replication.ts';
import { stateMachineName } from '#infra/constructs/workflows.ts';
import { DR_METRIC, DR_METRICS_NAMESPACE } from '#core/dr/audit-metrics.ts';
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
    expect(topic.Properties).toMatchObject({ TopicName: 'strata-alarms', KmsMasterKeyId: expect.anything() });
    const alarms = Object.fromEntries(ofType(nested, 'AWS::CloudWatch::Alarm').map(([, a]) => [a.Properties.AlarmName, a.Properties]));
    const expected = {
      'strata-DrReplicasMissing': [DR_METRICS_NAMESPACE, DR_METRIC.unreplicated, 0],
      'strata-DrReplicasCorrupted': [DR_METRICS_NAMESPACE, DR_METRIC.mismatched, 0],
      'strata-DrRecoveryPointTooOld': [DR_METRICS_NAMESPACE, DR_METRIC.oldestUnreplicated, 3600],
      'strata-DrAuditIncomplete': [DR_METRICS_NAMESPACE, DR_METRIC.failedTenants, 0],
      'strata-FixityDamage': [FIXITY_METRICS_NAMESPACE, FIXITY_METRIC.damaged, 0],
      'strata-FixitySweepIncomplete': [FIXITY_METRICS_NAMESPACE, FIXITY_METRIC.failedTenants, 0],
    } as const;
    expect(Object.keys(alarms).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, [namespace, metric, threshold]] of Object.entries(expected)) {
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
      expect(alarms[name]!.Dimensions).toBeUndefined();
    }
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

  it('lets the DR audit step list the replica and read its objects\' checksums, and nothing else there', () => {
    const policyId = synthesized.primary.getLogicalId(synthesized.primary.functions.auditReplicaPage!.policy.node.defaultChild as never);
    const statements = (primary[policyId]!.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const onReplica = statements.filter((st) => JSON.stringify(st.Resource).includes(REPLICA_BUCKET)).map((st) => [actions(st), st.Resource]);
    expect(onReplica).toEqual([
      [['s3:GetObject'], `${REPLICA_BUCKET}/*`],
      [['s3:ListBucket'], REPLICA_BUCKET],
    ]);
    const [fnId] = ofType(primary, 'AWS::Lambda::Function').find(([id]) => id.startsWith('FnauditReplicaPage'))!;
    expect((primary[fnId]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables.BUCKET_DR_REPLICA).toBe('strata-dr-replica-bucket');
  });

  it('lets the disposition purge list and delete every version in the replica, and nothing else there', () => {
    const policyId = synthesized.primary.getLogicalId(synthesized.primary.functions.purgeStudies!.policy.node.defaultChild as never);
    const statements = (primary[policyId]!.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const onReplica = statements.filter((st) => JSON.stringify(st.Resource).includes(REPLICA_BUCKET)).map((st) => [actions(st), st.Resource]);
    // CDK merges the two buckets' ListBucketVersions into one statement.
    expect(onReplica).toEqual([
      [['s3:ListBucketVersions'], [REPLICA_BUCKET, { 'Fn::GetAtt': [expect.stringMatching(/^Bucketarchive/), 'Arn'] }]],
      [['s3:DeleteObjectVersion'], `${REPLICA_BUCKET}/*`],
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
    // The purge destroys the archive's copy only, and its certificate lists that one copy.
    const [, purge] = ofType(resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('FnpurgeStudies'))!;
    expect((purge.Properties.Environment as { Variables: Record<string, unknown> }).Variables.BUCKET_DR_REPLICA).toBeUndefined();
  }, SYNTH_TIMEOUT_MS);

  it('refuses a replica storage class S3 does not have', () => {
    expect(() => synth(system, { drBucketArn: REPLICA_BUCKET, drKeyArn: REPLICA_KEY, drStorageClass: 'COLD', dataPlane: 'false' })).toThrow(/drStorageClass=COLD/);
  });
});
