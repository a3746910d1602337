/**
 * The tier backfill (docs/lifecycle.md, "Cold counts of studies archived before the tier
 * events"): a study whose objects went cold while nobody listened to S3's tier events — one
 * object's class never reached the index, and the cold counts of its series and study were never
 * kept — gets its classes from S3 (HeadObject) and its counts derived from them; a second run
 * changes nothing.
 */
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceObjectKey, Keys } from '#core/index-keys.ts';
import { backfillTierCountsPage, emptyReport, type BackfillReport } from '#services/lifecycle/backfill-tier-counts.ts';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const STUDY = '2.25.87001';
const DEEP = { study: STUDY, series: `${STUDY}.1`, sop: `${STUDY}.1.1` };
const GLACIER = { study: STUDY, series: `${STUDY}.2`, sop: `${STUDY}.2.1` };
const HOT = { study: STUDY, series: `${STUDY}.2`, sop: `${STUDY}.2.2` };

describe('The tier backfill', () => {
  let runtime: TestRuntime;
  const files = { deep: synthesize('CT_small.dcm', DEEP), glacier: synthesize('CT_small.dcm', GLACIER), hot: synthesize('CT_small.dcm', HOT) };
  beforeAll(async () => {
    runtime = await startTestRuntime();
    expect((await stow(runtime.url, Object.values(files))).status).toBe(200);
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  const db = () => dynamoFor(runtime);
  const TableName = () => runtime.names.table('index');
  const item = async (key: { pk: string; sk: string }) =>
    (await db().send(new GetItemCommand({ TableName: TableName(), Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: true }))).Item!;
  const counts = async (key: { pk: string; sk: string }) => {
    const found = await item(key);
    return { nearline: found.nNearline?.N, offline: found.nOffline?.N };
  };
  const transition = async (ids: typeof DEEP, file: Buffer, storageClass: string) => {
    const key = instanceObjectKey({ tenant: TEST_TENANT, ...ids }, sha256(file));
    const moved = await fetch(`${runtime.url}/_local/s3/transition`, { method: 'POST', body: JSON.stringify({ bucket: 'archive', key, storageClass }) });
    expect(moved.status).toBe(200);
    await runtime.events.idle();
  };
  const studyAvailability = async () => {
    const [match] = (await (await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=${STUDY}&includefield=00080056`)).json()) as Record<string, { Value: string[] }>[];
    return match!['00080056']?.Value[0];
  };
  const backfill = async () => {
    let report: BackfillReport = emptyReport();
    do report = await backfillTierCountsPage(TEST_TENANT, report, runtime.clock.now());
    while (report.cursor);
    return report;
  };

  it('takes each object\'s class from S3 and derives the series and study cold counts from the instances', { timeout: 120_000 }, async () => {
    // Before Strata listened: S3 moved one object to Deep Archive and the index never heard of it.
    const publish = runtime.events.publish.bind(runtime.events);
    runtime.events.publish = (event) => {
      if (event['detail-type'] !== 'Object Storage Class Changed') publish(event);
    };
    try {
      await transition(DEEP, files.deep, 'DEEP_ARCHIVE');
    } finally {
      runtime.events.publish = publish;
    }
    // And one whose class the index has, from before the counts were kept.
    await transition(GLACIER, files.glacier, 'GLACIER');
    for (const key of [Keys.study(TEST_TENANT, STUDY), Keys.series(TEST_TENANT, STUDY, DEEP.series), Keys.series(TEST_TENANT, STUDY, GLACIER.series)]) {
      await db().send(new UpdateItemCommand({ TableName: TableName(), Key: { pk: { S: key.pk }, sk: { S: key.sk } }, UpdateExpression: 'REMOVE nNearline, nOffline' }));
    }
    expect((await item(Keys.instance({ tenant: TEST_TENANT, ...DEEP }))).storageClass?.S ?? 'STANDARD').toBe('STANDARD');
    expect(await studyAvailability()).toBe('ONLINE'); // wrong: two of its three instances cannot be read
    // The backfill runs ten days later: the corrected class is dated from S3, not from the run.
    expect((await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advance: '+10d' }) })).status).toBe(200);
    const deepKey = instanceObjectKey({ tenant: TEST_TENANT, ...DEEP }, sha256(files.deep));
    const { LastModified } = await s3For(runtime).send(new HeadObjectCommand({ Bucket: runtime.names.bucket('archive'), Key: deepKey }));
    expect(runtime.clock.now().getTime() - LastModified!.getTime()).toBeGreaterThan(9 * 86_400_000);

    // The Deep Archive object's class is applied as its event would have been (its series' counts
    // move with it, in the same transaction); the study's and the other series' counts are set.
    expect(await backfill()).toMatchObject({ studies: 1, instances: 3, classesCorrected: 1, countsCorrected: 2, busy: [] });
    expect((await item(Keys.instance({ tenant: TEST_TENANT, ...DEEP }))).storageClass?.S).toBe('DEEP_ARCHIVE');
    // A small object, which S3's lifecycle rules never move (its class was set another way): dated by its LastModified, not the run.
    expect((await item(Keys.instance({ tenant: TEST_TENANT, ...DEEP }))).storageClassChangedAt?.S).toBe(LastModified!.toISOString());
    expect(await counts(Keys.series(TEST_TENANT, STUDY, DEEP.series))).toEqual({ nearline: '0', offline: '1' });
    expect(await counts(Keys.series(TEST_TENANT, STUDY, GLACIER.series))).toEqual({ nearline: '1', offline: '0' });
    expect(await counts(Keys.study(TEST_TENANT, STUDY))).toEqual({ nearline: '1', offline: '1' });
    expect(await studyAvailability()).toBe('OFFLINE');

    // Idempotent: nothing left to correct.
    expect(await backfill()).toMatchObject({ studies: 1, classesCorrected: 0, countsCorrected: 0 });
    expect(await counts(Keys.study(TEST_TENANT, STUDY))).toEqual({ nearline: '1', offline: '1' });
  });
});
