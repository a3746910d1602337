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
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { multipartBodies, sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const ID = { study: '2.25.88001', series: '2.25.88001.1', sop: '2.25.88001.1.1' };

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
  const wado = () => fetch(`${runtime.url}/dicom-web/studies/${ID.study}/series/${ID.series}/instances/${ID.sop}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
  const scheduledRun = async (name: string) => {
    const arn = runtime.stepFunctions.arnOf('reclassify');
    runtime.stepFunctions.startExecution(arn, '{}', name);
    await runtime.stepFunctions.idle();
    const execution = runtime.stepFunctions.describeExecution(`${arn.replace(':stateMachine:', ':execution:')}:${name}`);
    expect(execution.status, execution.output ?? '').toBe('SUCCEEDED');
    return JSON.parse(execution.output!) as Record<string, number>;
  };
  const instanceItem = async () => {
    const k = Keys.instance({ tenant: TEST_TENANT, ...ID });
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
});
