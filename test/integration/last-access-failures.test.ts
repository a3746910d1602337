/**
 * A study that keeps failing in the last-access run (docs/lifecycle.md, "When a study fails"):
 * the run still succeeds, the other studies of the page are re-tagged and their checks consumed,
 * and the failing study gets a retry check with a growing, bounded delay holding the error — until
 * it can be evaluated again, when it follows like the others.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceObjectKey } from '#core/index-keys.ts';
import { dayOf, dueKey, retryDay } from '#core/lifecycle/last-access.ts';
import type { LifecyclePolicy } from '#core/lifecycle/policy.ts';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { lastAccessProbe, withLegacyRule } from '#test/helpers/last-access.ts';
import { sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const uids = (n: number) => ({ study: `2.25.8620${n}`, series: `2.25.8620${n}.1`, sop: `2.25.8620${n}.1.1` });
const FIRST = uids(1);
const BROKEN = uids(2);
const LAST = uids(3);

describe('A failing study in the last-access run', () => {
  let runtime: TestRuntime;
  let declared: string | undefined;
  const files = { first: synthesize('CT_small.dcm', FIRST), broken: synthesize('CT_small.dcm', BROKEN), last: synthesize('CT_small.dcm', LAST) };
  const keyOf = (ids: typeof FIRST, file: Buffer) => instanceObjectKey({ tenant: TEST_TENANT, ...ids }, sha256(file));

  beforeAll(async () => {
    runtime = await startTestRuntime();
    await runtime.stepFunctions.idle();
    declared = process.env.LIFECYCLE_POLICY;
    const policy = withLegacyRule(JSON.parse(declared!) as LifecyclePolicy);
    process.env.LIFECYCLE_POLICY = JSON.stringify(policy);
    expect((await stow(runtime.url, Object.values(files))).status).toBe(200);
  });
  afterAll(async () => {
    process.env.LIFECYCLE_POLICY = declared;
    await runtime?.dispose();
  });

  const Bucket = () => runtime.names.bucket('archive');
  const { advance, checks, tagsOf, scheduledRun } = lastAccessProbe(() => runtime);
  const check = async (day: string, study: string) => {
    const key = dueKey(TEST_TENANT, day, study);
    const { Item } = await dynamoFor(runtime).send(new GetItemCommand({ TableName: runtime.names.table('index'), Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: true }));
    return { attempts: Item?.attempts?.N, error: Item?.error?.S };
  };
  const classOf = async (ids: typeof FIRST, file: Buffer) => (await tagsOf(ids, file))['strata-policy-class'];
  const today = () => dayOf(runtime.clock.now());

  it('goes on with the rest of the page and checks the failing study again after a bounded backoff', { timeout: 180_000 }, async () => {
    // The middle study's object is gone from S3 (a delete marker): every evaluation of it fails.
    const s3 = s3For(runtime);
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: Bucket(), Key: keyOf(BROKEN, files.broken) }));
    expect(marker.DeleteMarker).toBe(true);

    await advance('+401d');
    expect(await scheduledRun('day-401')).toMatchObject({ studies: 2, retagged: 2, failed: 1 });
    expect(await classOf(FIRST, files.first)).toBe('legacy');
    expect(await classOf(LAST, files.last)).toBe('legacy');
    // The others' checks are consumed; the failing study is due again tomorrow, with its error.
    const first = retryDay(today(), 1);
    expect(await checks()).toEqual([`${first}#${BROKEN.study}`]);
    expect(await check(first, BROKEN.study)).toEqual({ attempts: '1', error: 'NoSuchKey' });
    // The same day nothing is due: the run that failed does not meet its retry.
    expect(await scheduledRun('day-401-again')).toMatchObject({ studies: 0, failed: 0 });

    // Still failing the next day: the delay doubles.
    await advance('+1d');
    expect(await scheduledRun('day-402')).toMatchObject({ studies: 0, failed: 1 });
    const second = retryDay(today(), 2);
    expect(Date.parse(second) - Date.parse(today())).toBe(2 * 86_400_000);
    expect(await checks()).toEqual([`${second}#${BROKEN.study}`]);
    expect(await check(second, BROKEN.study)).toMatchObject({ attempts: '2' });

    // The object is back (its delete marker removed): the next retry evaluates the study like the others.
    await s3.send(new DeleteObjectCommand({ Bucket: Bucket(), Key: keyOf(BROKEN, files.broken), VersionId: marker.VersionId! }));
    await advance('+2d');
    expect(await scheduledRun('day-404')).toMatchObject({ studies: 1, retagged: 1, failed: 0 });
    expect(await classOf(BROKEN, files.broken)).toBe('legacy');
    expect(await checks()).toEqual([]);
  });

  it('ends a pin or policy-change run FAILED when a study fails after its retries, since no retry check follows it', { timeout: 120_000 }, async () => {
    const s3 = s3For(runtime);
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: Bucket(), Key: keyOf(BROKEN, files.broken) }));
    const arn = runtime.stepFunctions.arnOf('reclassify');
    runtime.stepFunctions.startExecution(arn, JSON.stringify({ tenant: TEST_TENANT, study: BROKEN.study }), 'pin-broken');
    await runtime.stepFunctions.idle();
    const execution = runtime.stepFunctions.describeExecution(`${arn.replace(':stateMachine:', ':execution:')}:pin-broken`);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Strata.StudiesNotReclassified');
    // Once readable again, the same run succeeds.
    await s3.send(new DeleteObjectCommand({ Bucket: Bucket(), Key: keyOf(BROKEN, files.broken), VersionId: marker.VersionId! }));
    runtime.stepFunctions.startExecution(arn, JSON.stringify({ tenant: TEST_TENANT, study: BROKEN.study }), 'pin-again');
    await runtime.stepFunctions.idle();
    expect(runtime.stepFunctions.describeExecution(`${arn.replace(':stateMachine:', ':execution:')}:pin-again`).status).toBe('SUCCEEDED');
  });
});
