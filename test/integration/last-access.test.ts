/**
 * Last access (docs/lifecycle.md): a read of a study's bytes is noted on the study item at most
 * once per day, for the policy's last-access rules; listing studies and reading metadata is not a
 * read of the study.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '#core/index-keys.ts';
import { dynamoFor } from '#test/helpers/aws.ts';
import { stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const ID = { study: '2.25.85001', series: '2.25.85001.1', sop: '2.25.85001.1.1' };

describe('Last access of a study', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime();
    expect((await stow(runtime.url, [synthesize('CT_small.dcm', ID)])).status).toBe(200);
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  const lastAccess = async () => {
    const key = Keys.study(TEST_TENANT, ID.study);
    const { Item } = await dynamoFor(runtime).send(
      new GetItemCommand({ TableName: runtime.names.table('index'), Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: true }),
    );
    return Item?.lastAccessAt?.S;
  };
  const advance = async (spec: string) =>
    expect((await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advance: spec }) })).status).toBe(200);
  const readBytes = async () =>
    expect((await fetch(`${runtime.url}/dicom-web/studies/${ID.study}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } })).status).toBe(200);

  it('is not touched by QIDO or metadata', async () => {
    expect((await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=${ID.study}`)).status).toBe(200);
    expect((await fetch(`${runtime.url}/dicom-web/studies/${ID.study}/metadata`)).status).toBe(200);
    expect(await lastAccess()).toBeUndefined();
  });

  it('is the time of the first read of the bytes each day (WADO, frames, rendered)', async () => {
    await readBytes();
    const first = await lastAccess();
    expect(Math.abs(Date.parse(first!) - runtime.clock.now().getTime())).toBeLessThan(60_000);
    await advance('+1h');
    await readBytes();
    expect((await fetch(`${runtime.url}/dicom-web/studies/${ID.study}/series/${ID.series}/instances/${ID.sop}/frames/1`)).status).toBe(200);
    expect(await lastAccess()).toBe(first);
    await advance('+1d');
    expect((await fetch(`${runtime.url}/dicom-web/studies/${ID.study}/series/${ID.series}/instances/${ID.sop}/rendered`, { headers: { Accept: 'image/png' } })).status).toBe(200);
    const next = await lastAccess();
    expect(Date.parse(next!)).toBeGreaterThan(Date.parse(first!) + 86_400_000 - 3_600_000);
  });
});
