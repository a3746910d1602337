/**
 * DELETE racing DELETE and STOW on one study: the study and series counts may never go below
 * zero, no count item may be left without its study, and once the requests have settled the
 * counts equal what the instance items say — without a reconciliation run.
 */
import { QueryCommand, type AttributeValue, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '#core/index-keys.ts';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const tenant = 'default';
const file = (study: string, series: number, sop: number, instanceNumber = 1) =>
  synthesize('CT_small.dcm', { study, series: `${study}.${series}`, sop: `${study}.${series}.${sop}`, instanceNumber });

describe('DELETE racing DELETE and STOW on one study', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  /** Every item of the study partition that carries a count, and the instances it holds. */
  async function partition(study: string) {
    const items: Record<string, AttributeValue>[] = [];
    let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const page: QueryCommandOutput = await dynamoFor(runtime).send(
        new QueryCommand({
          TableName: runtime.names.table('index'),
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: Keys.study(tenant, study).pk } },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    const sk = (item: (typeof items)[number]) => item.sk!.S!;
    const instances = items.filter((i) => sk(i).startsWith('INST#')).map((i) => sk(i).split('#')[1]!);
    const perSeries = Object.fromEntries(items.filter((i) => sk(i).startsWith('SERIES#')).map((i) => [sk(i).slice(7), Number(i.nInstances?.N)]));
    const summary = items.find((i) => sk(i) === 'STUDY');
    const truth: Record<string, number> = {};
    for (const series of instances) truth[series] = (truth[series] ?? 0) + 1;
    return {
      study: summary && { nInstances: Number(summary.nInstances?.N), nSeries: Number(summary.nSeries?.N), type: summary.type?.S },
      perSeries,
      truth,
      instances: instances.length,
      /** Where the index says each version's bytes are (current and earlier versions). */
      objectKeys: items.filter((i) => sk(i).startsWith('INST#') || sk(i).startsWith('VER#')).map((i) => i.objectKey!.S!),
    };
  }

  function expectExact(state: Awaited<ReturnType<typeof partition>>) {
    for (const count of [...Object.values(state.perSeries), state.study?.nInstances ?? 0, state.study?.nSeries ?? 0]) expect(count).toBeGreaterThanOrEqual(0);
    expect(state.perSeries).toEqual(state.truth);
    if (state.instances === 0) expect(state.study).toBeUndefined();
    else expect(state.study).toEqual({ nInstances: state.instances, nSeries: Object.keys(state.truth).length, type: 'study' });
  }

  it('the same instance deleted twice at once is counted out once', async () => {
    const study = '2.25.770001';
    expect((await stow(runtime.url, [1, 2, 3].map((sop) => file(study, 1, sop)))).status).toBe(200);
    const url = `${runtime.url}/dicom-web/studies/${study}/series/${study}.1/instances/${study}.1.1`;
    const answers = await Promise.all([1, 2, 3].map(() => fetch(url, { method: 'DELETE' })));
    expect(answers.map((a) => a.status).filter((s) => s === 204).length).toBeGreaterThanOrEqual(1);
    for (const answer of answers) expect([204, 404, 410]).toContain(answer.status);
    expectExact(await partition(study));
    expect((await partition(study)).instances).toBe(2);
  });

  it('a study deleted while STOWs add to it keeps exact, non-negative counts', async () => {
    for (let round = 0; round < 3; round++) {
      const study = `2.25.77010${round}`;
      expect((await stow(runtime.url, [1, 2].flatMap((series) => [1, 2, 3].map((sop) => file(study, series, sop))))).status).toBe(200);
      // A DELETE of the study, of one series and of one instance, against STOWs into the same
      // series, a new one, and the instance being deleted.
      const base = `${runtime.url}/dicom-web/studies/${study}`;
      const answers = await Promise.all([
        fetch(base, { method: 'DELETE' }),
        stow(runtime.url, [file(study, 1, 10 + round), file(study, 3, 1)]),
        fetch(`${base}/series/${study}.2`, { method: 'DELETE' }),
        stow(runtime.url, [file(study, 2, 1), file(study, 2, 20)]),
        fetch(`${base}/series/${study}.1/instances/${study}.1.2`, { method: 'DELETE' }),
        fetch(base, { method: 'DELETE' }),
      ]);
      for (const answer of answers) expect(answer.status).toBeLessThan(500);
      expectExact(await partition(study));
    }
  }, 240_000); // three rounds of six concurrent requests: 20 s alone, minutes on a loaded machine

  it('a new version stored while its study is deleted leaves no index entry whose bytes are gone', async () => {
    const missing: string[] = [];
    for (let round = 0; round < 3; round++) {
      const study = `2.25.77020${round}`;
      expect((await stow(runtime.url, Array.from({ length: 60 }, (_, i) => file(study, 1, i + 1)))).status).toBe(200);
      // New versions (other bytes, same UIDs) of the instances the DELETE takes first (SOP UIDs
      // ….1, ….10, ….11 in its order), stored while it deletes the rest of their series' bytes:
      // after their old bytes went, before the transaction that removes the series' entries.
      const later = (ms: number, sop: number) => new Promise((resolve) => setTimeout(resolve, ms)).then(() => stow(runtime.url, [file(study, 1, sop, 2)]));
      const answers = await Promise.all([
        fetch(`${runtime.url}/dicom-web/studies/${study}`, { method: 'DELETE' }),
        later(1500, 1),
        later(3000, 10),
        later(4500, 11),
      ]);
      for (const answer of answers) expect(answer.status).toBeLessThan(500);
      // On a loaded machine the DELETE outgrows its request (202) and the workflow finishes it.
      await runtime.stepFunctions.idle();
      const state = await partition(study);
      expectExact(state);
      for (const Key of state.objectKeys) {
        const found = await s3For(runtime).send(new HeadObjectCommand({ Bucket: runtime.names.bucket('archive'), Key })).then(() => true, () => false);
        if (!found) missing.push(Key);
      }
    }
    expect(missing).toEqual([]);
  }, 240_000);
});
