/**
 * Copy back to a warmer tier (docs/lifecycle.md, "Copy back"): a study in GLACIER is read, restored
 * on the clock, and read again from its restored copy; the daily run copies the object back to the
 * class its rule's `rewarm` names (STANDARD_IA), in place, tagged with the policy version, deletes
 * the archived version, and the index follows — the same bytes, ONLINE, with no restore needed.
 */
import { GetObjectTaggingCommand, HeadObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceObjectKey, Keys } from '#core/index-keys.ts';
import type { LifecyclePolicy } from '#core/lifecycle/policy.ts';
import { policyTags } from '#core/lifecycle/policy-class.ts';
import { REWARMED_FROM_TAG } from '#adapters/lifecycle/copy-back.ts';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { multipartBodies, sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const ID = { study: '2.25.88001', series: '2.25.88001.1', sop: '2.25.88001.1.1' };
const CRASHED = { study: '2.25.88002', series: '2.25.88002.1', sop: '2.25.88002.1.1' };

describe('Copy back to a warmer tier', () => {
  let runtime: TestRuntime;
  let declared: string | undefined;
  let policy: LifecyclePolicy;
  const file = synthesize('CT_small.dcm', ID);
  const key = instanceObjectKey({ tenant: TEST_TENANT, ...ID }, sha256(file));

  beforeAll(async () => {
    runtime = await startTestRuntime();
    await runtime.stepFunctions.idle();
    declared = process.env.LIFECYCLE_POLICY;
    const base = JSON.parse(declared!) as LifecyclePolicy;
    // The catch-all rule brings archived objects that are read again back to Standard-IA.
    policy = { ...base, version: base.version + 1, rules: [{ ...base.rules.at(-1)!, rewarm: 'STANDARD_IA' }] };
    process.env.LIFECYCLE_POLICY = JSON.stringify(policy);
    expect((await stow(runtime.url, [file])).status).toBe(200);
  });
  afterAll(async () => {
    process.env.LIFECYCLE_POLICY = declared;
    await runtime?.dispose();
  });

  const advance = async (spec: string) => {
    expect((await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advance: spec }) })).status).toBe(200);
    await runtime.events.idle();
  };
  const wado = (ids = ID) => fetch(`${runtime.url}/dicom-web/studies/${ids.study}/series/${ids.series}/instances/${ids.sop}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
  const scheduledRun = async (name: string) => {
    const arn = runtime.stepFunctions.arnOf('reclassify');
    runtime.stepFunctions.startExecution(arn, '{}', name);
    await runtime.stepFunctions.idle();
    const execution = runtime.stepFunctions.describeExecution(`${arn.replace(':stateMachine:', ':execution:')}:${name}`);
    expect(execution.status, execution.output ?? '').toBe('SUCCEEDED');
    return JSON.parse(execution.output!) as Record<string, number>;
  };
  const instanceItem = async (ids = ID) => {
    const k = Keys.instance({ tenant: TEST_TENANT, ...ids });
    return (await dynamoFor(runtime).send(new GetItemCommand({ TableName: runtime.names.table('index'), Key: { pk: { S: k.pk }, sk: { S: k.sk } }, ConsistentRead: true }))).Item!;
  };

  it('copies an archived object read from its restored copy back to its rule\'s warmer class, and the index follows', { timeout: 120_000 }, async () => {
    const s3 = s3For(runtime);
    const Bucket = runtime.names.bucket('archive');
    expect((await fetch(`${runtime.url}/_local/s3/transition`, { method: 'POST', body: JSON.stringify({ bucket: 'archive', key, storageClass: 'GLACIER' }) })).status).toBe(200);
    await runtime.events.idle();
    // Read: 503 and a restore; nothing is copied from an object that is not restored.
    expect((await wado()).status).toBe(503);
    await runtime.stepFunctions.idle();
    expect(await scheduledRun('before-restore')).toMatchObject({ rewarmed: 0 });
    await advance('+6h');
    // Read again, from the restored copy.
    const restored = await wado();
    expect(restored.status).toBe(200);
    await restored.arrayBuffer();

    expect(await scheduledRun('after-read')).toMatchObject({ studies: 1, rewarmed: 1 });
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: key }));
    expect(head.StorageClass).toBe('STANDARD_IA');
    const { TagSet } = await s3.send(new GetObjectTaggingCommand({ Bucket, Key: key }));
    expect(Object.fromEntries((TagSet ?? []).map((t) => [t.Key!, t.Value!]))).toMatchObject(policyTags({ policyClass: policy.rules[0]!.id, policyVersion: policy.version }));
    expect((TagSet ?? []).map((t) => t.Key)).not.toContain(REWARMED_FROM_TAG);
    // The archived version is gone (no noncurrent Glacier version left to pay for).
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: key }));
    expect((versions.Versions ?? []).map((v) => v.StorageClass)).toEqual(['STANDARD_IA']);
    const item = await instanceItem();
    expect(item.storageClass?.S).toBe('STANDARD_IA');
    expect(item.restoredUntil).toBeUndefined();

    // Long after the restored copy would have expired, the bytes are served as they were, ONLINE.
    await advance('+30d');
    const later = await wado();
    expect(later.status).toBe(200);
    const [part] = multipartBodies(Buffer.from(await later.arrayBuffer()), later.headers.get('content-type')!);
    expect(sha256(part!.body)).toBe(sha256(file));
    const [match] = (await (await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=${ID.study}&includefield=00080056`)).json()) as Record<string, { Value: string[] }>[];
    expect(match!['00080056']!.Value[0]).toBe('ONLINE');
    // Nothing more to copy.
    expect(await scheduledRun('again')).toMatchObject({ rewarmed: 0 });
  });

  it('a copy back stopped between its steps (the archived version\'s delete fails) leaves the index on the copy\'s class, and the next run finishes it', { timeout: 120_000 }, async () => {
    const s3 = s3For(runtime);
    const Bucket = runtime.names.bucket('archive');
    const crashed = synthesize('CT_small.dcm', CRASHED);
    const crashedKey = instanceObjectKey({ tenant: TEST_TENANT, ...CRASHED }, sha256(crashed));
    expect((await stow(runtime.url, [crashed])).status).toBe(200);
    expect((await fetch(`${runtime.url}/_local/s3/transition`, { method: 'POST', body: JSON.stringify({ bucket: 'archive', key: crashedKey, storageClass: 'GLACIER' }) })).status).toBe(200);
    await runtime.events.idle();
    expect((await wado(CRASHED)).status).toBe(503);
    await runtime.stepFunctions.idle();
    await advance('+6h');
    const restored = await wado(CRASHED);
    expect(restored.status).toBe(200);
    await restored.arrayBuffer();

    // Every delete of the object fails, through the workflow's retries: the run stops after the copy.
    const fault = await fetch(`${runtime.url}/_local/s3/faults`, { method: 'POST', body: JSON.stringify({ bucket: 'archive', keyPrefix: crashedKey, status: 500, code: 'InternalError', operation: 'delete' }) });
    expect(fault.status).toBe(200);
    try {
      expect(await scheduledRun('delete-fails')).toMatchObject({ failed: 1 });
    } finally {
      await fetch(`${runtime.url}/_local/s3/faults`, { method: 'DELETE' });
    }
    // The index says what S3 serves: the copy's class, no restored copy; the archived version is still there.
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: crashedKey }));
    expect(head.StorageClass).toBe('STANDARD_IA');
    expect((await instanceItem(CRASHED)).storageClass?.S).toBe(head.StorageClass);
    expect((await instanceItem(CRASHED)).restoredUntil).toBeUndefined();
    const before = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: crashedKey }));
    expect((before.Versions ?? []).map((v) => v.StorageClass).sort()).toEqual(['GLACIER', 'STANDARD_IA']);

    // The failed study is checked again the next day: the rerun deletes the archived version, copies nothing again.
    await advance('+1d');
    expect(await scheduledRun('delete-resumed')).toMatchObject({ rewarmed: 1, failed: 0 });
    const after = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: crashedKey }));
    expect((after.Versions ?? []).map((v) => v.StorageClass)).toEqual(['STANDARD_IA']);
    expect(after.Versions![0]!.VersionId).toBe(head.VersionId);
    const { TagSet } = await s3.send(new GetObjectTaggingCommand({ Bucket, Key: crashedKey }));
    expect((TagSet ?? []).map((t) => t.Key)).not.toContain(REWARMED_FROM_TAG);
    expect((await instanceItem(CRASHED)).storageClass?.S).toBe('STANDARD_IA');
    const read = await wado(CRASHED);
    expect(read.status).toBe(200);
    const [part] = multipartBodies(Buffer.from(await read.arrayBuffer()), read.headers.get('content-type')!);
    expect(sha256(part!.body)).toBe(sha256(crashed));
    // Converged: nothing left to do.
    await advance('+1d');
    expect(await scheduledRun('delete-converged')).toMatchObject({ rewarmed: 0, failed: 0 });
  });
});
