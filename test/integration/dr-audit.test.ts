/**
 * The DR audit (services/dr/replica-audit.ts, docs/dr.md) against the local replica: after
 * ingest and replication it finds every replica whole and records the confirmation per instance;
 * with one replica object deleted and another corrupted it reports exactly those two; before
 * replication it reports the versions as pending and the oldest one's age (the recovery point).
 * The same audit as the scheduled workflow (statemachines/dr-audit.asl.json) reports the same two,
 * publishes the counts as CloudWatch metrics (the local sink reads them) and sets the DR alarms.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';
import { instanceObjectKey, Keys } from '#core/index-keys.ts';
import { system } from '#infra/system.ts';
import { auditReplicaPage, emptyAuditState, type ReplicaAuditState } from '#services/dr/replica-audit.ts';
import { DR_METRIC, DR_METRICS_NAMESPACE } from '#core/dr/audit-metrics.ts';
import { resolveReferences } from '#adapters/workflows/references.ts';

const LAG_SECONDS = 60;
const GRACE_SECONDS = 900;
const uid = (n: number) => `1.2.826.0.1.3680043.8.498.8${n}`;

describe('DR audit: the primary index against the replica', () => {
  let runtime: TestRuntime;
  const instances: { id: { tenant: string; study: string; series: string; sop: string }; key: string }[] = [];

  const audit = async (): Promise<ReplicaAuditState> => {
    let state = emptyAuditState();
    while (!state.done) state = await auditReplicaPage(TEST_TENANT, state, runtime.clock.now(), { replicaBucket: runtime.names.bucket(system.replication.replica), graceSeconds: GRACE_SECONDS, pageSize: 1 });
    return state;
  };

  beforeAll(async () => {
    runtime = await startTestRuntime({ replicationLagSeconds: LAG_SECONDS });
    for (const [n, study] of [[1, 10], [2, 10], [3, 10], [4, 20]] as const) {
      const id = { tenant: TEST_TENANT, study: uid(study), series: uid(study + 1), sop: uid(100 + n) };
      const bytes = synthesize('CT_small.dcm', { ...id, patientId: `P${study}`, instanceNumber: n });
      const { status } = await stow(runtime.url, [bytes]);
      expect([200, 202]).toContain(status);
      instances.push({ id, key: instanceObjectKey(id, sha256(bytes)) });
    }
  }, 120_000);
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('reports unreplicated versions as pending with the oldest one\'s age, then nothing once they are replicated', async () => {
    runtime.clock.advance(30_000);
    const before = await audit();
    expect(before).toMatchObject({ studies: 2, versions: 4, confirmed: 0, pending: 4, missing: [], mismatched: [], extra: [] });
    expect(before.oldestUnreplicatedSeconds).toBeGreaterThanOrEqual(30);

    runtime.clock.advance((LAG_SECONDS + 1) * 1000);
    await runtime.s3.replicate();
    const after = await audit();
    expect(after).toMatchObject({ versions: 4, confirmed: 4, newlyConfirmed: 4, pending: 0, missing: [], mismatched: [], extra: [], oldestUnreplicatedSeconds: 0 });
    // Replication status per instance: recorded on the index item, once.
    const item = await dynamoFor(runtime).send(new GetItemCommand({ TableName: runtime.names.table('index'), Key: { pk: { S: Keys.instance(instances[0]!.id).pk }, sk: { S: Keys.instance(instances[0]!.id).sk } } }));
    expect(item.Item?.replicaSha256?.S).toBe(instances[0]!.key.split('/').at(-1)!.replace('.dcm', ''));
    expect((await audit()).newlyConfirmed).toBe(0);
  });

  it('reports exactly one deleted and one corrupted replica', async () => {
    const s3 = s3For(runtime);
    const Bucket = runtime.names.bucket(system.replication.replica);
    await s3.send(new DeleteObjectCommand({ Bucket, Key: instances[1]!.key }));
    await s3.send(new PutObjectCommand({ Bucket, Key: instances[2]!.key, Body: 'corrupted bytes', ChecksumAlgorithm: 'SHA256' }));
    runtime.clock.advance(GRACE_SECONDS * 1000);
    const report = await audit();
    expect(report.missing.map((m) => m.key)).toEqual([instances[1]!.key]);
    expect(report.mismatched).toEqual([{ key: instances[2]!.key, recorded: instances[2]!.key.split('/').at(-1)!.replace('.dcm', ''), replica: sha256(Buffer.from('corrupted bytes')) }]);
    expect(report.extra).toEqual([]);
    expect(report.oldestUnreplicatedSeconds).toBeGreaterThan(GRACE_SECONDS);
    expect(report.confirmed).toBe(2);
  });

  it('as the scheduled workflow: reports the same two, publishes the counts and sets the alarms; a tenant\'s own run lists them', async () => {
    const latest = (name: string) => runtime.metrics.datapoints(DR_METRICS_NAMESPACE, name).at(-1)?.value;
    // Not run at the local runtime's start (it reads every replica): no datapoint yet.
    expect(runtime.metrics.alarmState('DrReplicasMissing')).toBe('INSUFFICIENT_DATA');
    const published = runtime.metrics.datapoints(DR_METRICS_NAMESPACE, DR_METRIC.unreplicated).length;
    expect(published).toBe(0);

    const run = async (input: object, name: string) => {
      const { executionArn } = runtime.stepFunctions.startExecution(runtime.stepFunctions.arnOf('drAudit'), JSON.stringify(input), name);
      await runtime.stepFunctions.idle();
      const execution = runtime.stepFunctions.describeExecution(executionArn);
      expect(execution.status).toBe('SUCCEEDED');
      // No key or UID in what Step Functions keeps.
      for (const { key } of instances) expect(JSON.stringify(execution)).not.toContain(key.split('/')[2]);
      return JSON.parse(execution.output!) as Record<string, unknown>;
    };

    const scheduled = await run({}, 'scheduled-dr-test');
    expect(scheduled.reports).toEqual([
      expect.objectContaining({ tenant: TEST_TENANT, audit: expect.objectContaining({ done: true, missingCount: 1, mismatchedCount: 1, extraCount: 0, confirmed: 2, missing: [], mismatched: [] }) }),
    ]);
    expect(scheduled.metrics).toMatchObject({ [DR_METRIC.unreplicated]: 1, [DR_METRIC.mismatched]: 1, [DR_METRIC.extra]: 0, [DR_METRIC.failedTenants]: 0 });
    expect(latest(DR_METRIC.unreplicated)).toBe(1);
    expect(latest(DR_METRIC.mismatched)).toBe(1);
    expect(latest(DR_METRIC.extra)).toBe(0);
    expect(latest(DR_METRIC.oldestUnreplicated)).toBeGreaterThan(GRACE_SECONDS);
    expect(runtime.metrics.datapoints(DR_METRICS_NAMESPACE, DR_METRIC.unreplicated)).toHaveLength(published + 1);
    expect(runtime.metrics.alarmState('DrReplicasMissing')).toBe('ALARM');
    expect(runtime.metrics.alarmState('DrReplicasCorrupted')).toBe('ALARM');
    // The missing replica's age (the recovery point) is past the grace period but under the alarm's hour.
    expect(latest(DR_METRIC.oldestUnreplicated)).toBeLessThan(3600);
    expect(runtime.metrics.alarmState('DrRecoveryPointTooOld')).toBe('OK');
    expect(runtime.metrics.alarmState('DrAuditIncomplete')).toBe('OK');

    // A tenant's own run lists the keys (as references) and publishes nothing.
    const own = await run({ tenant: TEST_TENANT }, 'dr-test-tenant');
    const { report } = await resolveReferences(TEST_TENANT, own as { report: { audit: ReplicaAuditState } });
    expect(report.audit.missing.map((m) => m.key)).toEqual([instances[1]!.key]);
    expect(report.audit.mismatched.map((m) => m.key)).toEqual([instances[2]!.key]);
    expect(report.audit.extra).toEqual([]);
    expect(runtime.metrics.datapoints(DR_METRICS_NAMESPACE, DR_METRIC.unreplicated)).toHaveLength(published + 1);
  });

  it('reports a replica object that is neither a current nor an earlier version in the index as extra', async () => {
    const Bucket = runtime.names.bucket(system.replication.replica);
    const stray = instanceObjectKey({ ...instances[0]!.id, sop: uid(199) }, sha256(Buffer.from('stray')));
    await s3For(runtime).send(new PutObjectCommand({ Bucket, Key: stray, Body: 'stray', ChecksumAlgorithm: 'SHA256' }));
    expect((await audit()).extra).toEqual([stray]);
  });
});
