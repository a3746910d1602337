/**
 * The DR audit (services/dr/replica-audit.ts, docs/dr.md) against the local replica: after
 * ingest and replication it finds every replica whole and records the confirmation per instance;
 * with one replica object deleted and another corrupted it reports exactly those two; before
 * replication it reports the versions as pending and the oldest one's age (the recovery point).
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

  it('reports a replica object that is neither a current nor an earlier version in the index as extra', async () => {
    const Bucket = runtime.names.bucket(system.replication.replica);
    const stray = instanceObjectKey({ ...instances[0]!.id, sop: uid(199) }, sha256(Buffer.from('stray')));
    await s3For(runtime).send(new PutObjectCommand({ Bucket, Key: stray, Body: 'stray', ChecksumAlgorithm: 'SHA256' }));
    expect((await audit()).extra).toEqual([stray]);
  });
});
