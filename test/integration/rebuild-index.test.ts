/**
 * Rebuilding the index from the archive bucket alone (services/dr/rebuild-index.ts, docs/dr.md):
 * a seeded archive (two tenants, several studies and series, a second version of an instance,
 * instances in GLACIER and DEEP_ARCHIVE, a deleted study) answers every QIDO query with the
 * same full JSON after its table is dropped and rebuilt, resumed midway; a second run changes nothing;
 * a parallel rebuild (three workers on key ranges) gives the same answers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';
import { instanceObjectKey } from '#core/index-keys.ts';
import { emptyRebuildState, rebuildIndexPage, type RebuildState } from '#services/dr/rebuild-index.ts';
import { runRebuild } from '../../scripts/dr/rebuild-runner.ts';

const OTHER_TENANT = 'clinic-b';
const uid = (n: number) => `1.2.826.0.1.3680043.8.498.7${n}`;

interface Seeded {
  tenant: string;
  study: string;
  series: string;
  sop: string;
  bytes: Buffer;
}

describe('Rebuild the index from the bucket alone', () => {
  let runtime: TestRuntime;
  const seeded: Seeded[] = [];
  const studiesOf = (tenant: string) => [...new Set(seeded.filter((s) => s.tenant === tenant).map((s) => s.study))];

  async function seed(tenant: string, n: number, template: string, fields: { study: number; series: number; patientId: string; patientName: string; studyDate: string; modality: string }) {
    const ids = { study: uid(fields.study), series: uid(fields.series), sop: uid(n) };
    const bytes = synthesize(template, { ...ids, patientId: fields.patientId, patientName: fields.patientName, studyDate: fields.studyDate, modality: fields.modality, instanceNumber: n });
    const headers = tenant === TEST_TENANT ? {} : await runtime.authorization(tenant);
    const { status } = await stow(runtime.url, [bytes], '/dicom-web/studies', headers);
    expect([200, 202]).toContain(status); // 202: stored with warnings (synthesized files)
    seeded.push({ tenant, ...ids, bytes });
    return { tenant, ...ids, bytes };
  }

  /** Every QIDO answer of the seeded archive, by request, as the full JSON the archive returns. */
  async function qidoAnswers(): Promise<Record<string, unknown>> {
    const answers: Record<string, unknown> = {};
    for (const tenant of [TEST_TENANT, OTHER_TENANT]) {
      const headers = await runtime.authorization(tenant);
      const paths = [
        '/dicom-web/studies?includefield=all',
        '/dicom-web/studies?PatientID=P-1&includefield=all',
        '/dicom-web/studies?PatientName=DOE*',
        '/dicom-web/studies?StudyDate=20200101-20251231',
        '/dicom-web/studies?ModalitiesInStudy=MR',
        ...studiesOf(tenant).flatMap((study) => [
          `/dicom-web/studies?StudyInstanceUID=${study}&includefield=all`,
          `/dicom-web/studies/${study}/series?includefield=all`,
          `/dicom-web/studies/${study}/instances?includefield=all&includefield=00091001`,
        ]),
      ];
      for (const path of paths) {
        const response = await fetch(`${runtime.url}${path}`, { headers: { ...headers, Accept: 'application/dicom+json' } });
        answers[`${tenant} ${path}`] = { status: response.status, body: response.status === 200 ? await response.json() : await response.text() };
      }
    }
    return answers;
  }

  beforeAll(async () => {
    runtime = await startTestRuntime();
    const ct = { study: 100, series: 110, patientId: 'P-1', patientName: 'DOE^JANE', studyDate: '20210304', modality: 'CT' };
    await seed(TEST_TENANT, 1, 'CT_small.dcm', ct);
    await seed(TEST_TENANT, 2, 'CT_small.dcm', ct);
    await seed(TEST_TENANT, 3, 'MR_small.dcm', { ...ct, series: 120, modality: 'MR' });
    const mr = { study: 200, series: 210, patientId: 'P-2', patientName: 'DOE^JOHN', studyDate: '20190607', modality: 'MR' };
    const archived = await seed(TEST_TENANT, 4, 'MR_small.dcm', mr);
    const deepArchived = await seed(TEST_TENANT, 5, 'MR_small.dcm', mr);
    // A second version of instance 1: other bytes under the same UIDs (the first becomes an earlier version).
    await seed(TEST_TENANT, 1, 'CT_small.dcm', { ...ct, patientName: 'DOE^JANE^M' });
    const deleted = await seed(TEST_TENANT, 6, 'CT_small.dcm', { study: 300, series: 310, patientId: 'P-3', patientName: 'ROE^RICHARD', studyDate: '20220101', modality: 'CT' });
    await seed(OTHER_TENANT, 7, 'CT_small.dcm', { study: 400, series: 410, patientId: 'P-1', patientName: 'DOE^JANE', studyDate: '20230101', modality: 'CT' });

    const bucket = runtime.names.bucket('archive');
    await runtime.s3.proxy.transition(bucket, instanceObjectKey(archived, sha256(archived.bytes)), 'GLACIER');
    await runtime.s3.proxy.transition(bucket, instanceObjectKey(deepArchived, sha256(deepArchived.bytes)), 'DEEP_ARCHIVE');
    const removal = await fetch(`${runtime.url}/dicom-web/studies/${deleted.study}`, { method: 'DELETE' });
    expect(removal.status).toBeLessThan(300);
    await runtime.events.idle();
  }, 120_000);
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('answers every QIDO query with the same JSON after the table is dropped and rebuilt (resumed midway)', async () => {
    const before = await qidoAnswers();
    // The seed is what it should be: tiers are visible, the deleted study is not.
    expect(JSON.stringify(before)).toContain('OFFLINE');
    expect(JSON.stringify(before[`${TEST_TENANT} /dicom-web/studies?includefield=all`])).not.toContain(uid(300));

    // An object at an instance key that Strata did not store: reported, not indexed.
    const foreign = instanceObjectKey({ tenant: TEST_TENANT, study: uid(900), series: uid(910), sop: uid(920) }, 'ab'.repeat(32));
    await s3For(runtime).send(new PutObjectCommand({ Bucket: runtime.names.bucket('archive'), Key: foreign, Body: 'not DICOM' }));
    await dynamoFor(runtime).send(new DeleteTableCommand({ TableName: runtime.names.table('index') }));
    runtime = await runtime.restart(); // creates the declared table again, empty
    const empty = await fetch(`${runtime.url}/dicom-web/studies`, { headers: { Accept: 'application/dicom+json' } });
    expect(empty.status === 204 ? [] : await empty.json()).toEqual([]);

    // Two pages, then "a crash": the saved state is all the next run gets.
    let state: RebuildState = emptyRebuildState();
    for (let page = 0; page < 2; page++) state = await rebuildIndexPage(state, runtime.clock.now(), 3);
    expect(state.done).toBe(false);
    state = JSON.parse(JSON.stringify(state)) as RebuildState;
    while (!state.done) state = await rebuildIndexPage(state, runtime.clock.now(), 3);

    // 7 of Strata's instance versions are listed (the deleted study's object has a delete marker and is not). Oldest
    // first per study: each was current when indexed, and instance 1's second version then replaced its first.
    expect(state).toMatchObject({ examined: 8, indexedAsCurrent: 7, indexedAsEarlierVersion: 0, alreadyIndexed: 0, tiersApplied: 2 });
    expect(state.unindexed).toEqual([{ key: foreign, reason: 'no strata-ingested-at metadata: not stored by Strata' }]);
    expect(await qidoAnswers()).toEqual(before);

    // A repeated run finds everything indexed and changes nothing.
    let again = emptyRebuildState();
    while (!again.done) again = await rebuildIndexPage(again, runtime.clock.now());
    expect(again).toMatchObject({ examined: 8, alreadyIndexed: 7, indexedAsCurrent: 0, tiersApplied: 0 });
    expect(await qidoAnswers()).toEqual(before);

    // In parallel (--concurrency 3): three workers on key ranges cut between studies give the same index.
    await dynamoFor(runtime).send(new DeleteTableCommand({ TableName: runtime.names.table('index') }));
    runtime = await runtime.restart();
    const stateFile = join(runtime.dataDir, 'rebuild-state.json');
    const out = Object.assign(new PassThrough().resume(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    const parallel = await runRebuild({ stateFile, concurrency: 3, now: () => runtime.clock.now(), out });
    expect(parallel.workers).toBe(3);
    expect(parallel.state).toMatchObject({ done: true, examined: 8, indexedAsCurrent: 7, indexedAsEarlierVersion: 0, alreadyIndexed: 0, tiersApplied: 2 });
    expect(parallel.state.unindexed).toEqual([{ key: foreign, reason: 'no strata-ingested-at metadata: not stored by Strata' }]);
    // Each worker examined versions of its own (the ranges do not overlap: the sum is the whole).
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { ranges: { state: RebuildState }[] };
    expect(saved.ranges.map(({ state: s }) => s.examined).every((n) => n > 0)).toBe(true);
    expect(await qidoAnswers()).toEqual(before);
  }, 300_000);
});
