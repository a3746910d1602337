/**
 * Rebuilding the index from the archive bucket alone (services/dr/rebuild-index.ts, docs/dr.md):
 * a seeded archive (two tenants, several studies and series, a second version of an instance,
 * instances in GLACIER and DEEP_ARCHIVE, a deleted study, an active and a released legal hold,
 * two studies soft-deleted by a disposition) answers every QIDO query and the holds listing with
 * the same full JSON after its table is dropped and rebuilt, resumed midway; a second run changes
 * nothing; a parallel rebuild (three workers on key ranges) gives the same answers. Then the
 * rebuilt index still does what the lost one would have: a held study refuses DELETE, a
 * soft-deleted study is restored within its window and the other purged after it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';
import { instanceObjectKey } from '#core/index-keys.ts';
import { loadPolicy } from '#infra/lifecycle/load-policy.ts';
import { emptyRebuildState, rebuildIndexPage, type RebuildState } from '#services/dr/rebuild-index.ts';
import { restoreFromLedgers } from '#services/dr/restore-ledgers.ts';
import { purgePage, writeCertificate } from '#services/disposition/purge.ts';
import { runRebuild } from '../../scripts/dr/rebuild-runner.ts';

const OTHER_TENANT = 'clinic-b';
const uid = (n: number) => `1.2.826.0.1.3680043.8.498.7${n}`;
const TODAY = new Date();
const yearsAgo = (years: number) => new Date(Date.UTC(TODAY.getUTCFullYear() - years, TODAY.getUTCMonth(), TODAY.getUTCDate())).toISOString().slice(0, 10).replace(/-/g, '');
/** Adults' studies are kept 5 years: only studies with a birth date (the others' templates have none: spared) and older go. */
const RETENTION = { recoveryWindow: '30d', rules: [{ id: 'test-default', jurisdiction: 'TEST', match: {}, adults: '5y', minors: { untilAge: '18y', plus: '2y' } }] };

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

  const holdIds: string[] = [];

  async function seed(tenant: string, n: number, template: string, fields: { study: number; series: number; patientId: string; patientName: string; studyDate: string; modality: string; birthDate?: string }) {
    const ids = { study: uid(fields.study), series: uid(fields.series), sop: uid(n) };
    const extra: Record<string, [string, unknown]> = fields.birthDate ? { '00100030': ['DA', fields.birthDate] } : {};
    const bytes = synthesize(template, { ...ids, patientId: fields.patientId, patientName: fields.patientName, studyDate: fields.studyDate, modality: fields.modality, instanceNumber: n, extra });
    const headers = tenant === TEST_TENANT ? {} : await runtime.authorization(tenant);
    const { status } = await stow(runtime.url, [bytes], '/dicom-web/studies', headers);
    expect([200, 202]).toContain(status); // 202: stored with warnings (synthesized files)
    seeded.push({ tenant, ...ids, bytes });
    return { tenant, ...ids, bytes };
  }

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${runtime.url}${path}`, { method, ...(body ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {}) });
    return { status: response.status, json: (await response.json().catch(() => undefined)) as Record<string, unknown> };
  };
  /** A hold once its workflow has finished in S3 (bounded polling). */
  async function holdSettled(id: string, s3: 'locked' | 'unlocked') {
    for (let i = 0; i < 300; i++) {
      if (((await api('GET', `/holds/${id}`)).json.progress as { s3: string }).s3 === s3) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`hold ${id} never reached ${s3}`);
  }

  /** Every QIDO answer of the seeded archive and its holds listing, by request, as the full JSON the archive returns. */
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
      // The holds listing and each hold as GET /holds/{id} shows it (status, studies, progress, effect).
      paths.push('/holds', ...holdIds.map((id) => `/holds/${id}`));
      for (const path of paths) {
        const response = await fetch(`${runtime.url}${path}`, { headers: { ...headers, Accept: 'application/dicom+json' } });
        // An error's body names its request, which differs each time: the rest must not.
        answers[`${tenant} ${path}`] = { status: response.status, body: response.status === 200 ? await response.json() : (await response.text()).replace(/"requestId":"[^"]*"/, '') };
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

    // Legal holds: one active (patient P-1: study 100), one placed on study 200 and released.
    for (const scope of [{ patient: { id: 'P-1' } }, { study: uid(200) }]) {
      const placed = await api('POST', '/holds', { matter: 'Doe v. Hospital', reason: 'anticipated litigation', scope });
      expect(placed.status, JSON.stringify(placed.json)).toBe(201);
      holdIds.push(String(placed.json.id));
      await holdSettled(String(placed.json.id), 'locked');
    }
    expect((await api('POST', `/holds/${holdIds[1]}/release`)).status).toBe(202);
    await holdSettled(holdIds[1]!, 'unlocked');

    // Two studies past retention, soft-deleted by an approved disposition: one will be restored, one purged.
    const old = { series: 0, patientName: 'POE^EDGAR', studyDate: yearsAgo(9), modality: 'CT', birthDate: yearsAgo(60) };
    await seed(TEST_TENANT, 8, 'CT_small.dcm', { ...old, study: 500, series: 510, patientId: 'P-5' });
    await seed(TEST_TENANT, 9, 'CT_small.dcm', { ...old, study: 600, series: 610, patientId: 'P-6', patientName: 'ROE^EDGAR' });
    restorable = await studyAnswer(uid(500));
    const original = process.env.LIFECYCLE_POLICY;
    process.env.LIFECYCLE_POLICY = JSON.stringify({ ...loadPolicy(), version: 3, retention: RETENTION });
    try {
      const started = await api('POST', '/dispositions');
      expect(started.status).toBe(202);
      disposition = String(started.json.id);
      await runtime.stepFunctions.settled();
      const report = (await api('GET', `/dispositions/${disposition}?format=json`)).json as unknown as { studies: { study: string; outcome: string }[] };
      expect(report.studies.filter((s) => s.outcome === 'eligible').map((s) => s.study)).toEqual([uid(500), uid(600)]);
      expect((await api('POST', `/dispositions/${disposition}/approve`)).status).toBe(200);
      await runtime.stepFunctions.settled();
      expect((await api('GET', `/dispositions/${disposition}`)).json.status).toBe('RECOVERABLE');
    } finally {
      process.env.LIFECYCLE_POLICY = original;
    }
  }, 240_000);

  let restorable: unknown;
  let disposition = '';
  /** One study's QIDO answers: the study, its series and its instances. */
  async function studyAnswer(study: string) {
    const answers = [];
    for (const path of [`/dicom-web/studies?StudyInstanceUID=${study}&includefield=all`, `/dicom-web/studies/${study}/series?includefield=all`, `/dicom-web/studies/${study}/instances?includefield=all`]) {
      const response = await fetch(`${runtime.url}${path}`, { headers: { Accept: 'application/dicom+json' } });
      answers.push({ status: response.status, body: response.status === 200 ? await response.json() : await response.text() });
    }
    return answers;
  }
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('answers every QIDO query and the holds listing with the same JSON after the table is dropped and rebuilt (resumed midway), and still holds, restores and purges', async () => {
    const before = await qidoAnswers();
    // The seed is what it should be: tiers are visible, the deleted and soft-deleted studies are not, the holds are listed.
    expect(JSON.stringify(before)).toContain('OFFLINE');
    for (const gone of [300, 500, 600]) expect(JSON.stringify(before[`${TEST_TENANT} /dicom-web/studies?includefield=all`])).not.toContain(uid(gone));
    const holds = (before[`${TEST_TENANT} /holds`] as { body: { holds: { id: string; status: string; effective: unknown }[] } }).body.holds;
    expect(holds.map((h) => [h.id, h.status, h.effective])).toEqual([
      [holdIds[0], 'active', { index: true, s3: true }],
      [holdIds[1], 'released', { index: false, s3: false }],
    ]);
    const heldDelete = await fetch(`${runtime.url}/dicom-web/studies/${uid(100)}`, { method: 'DELETE' });
    expect([heldDelete.status, await heldDelete.text()]).toEqual([409, expect.stringContaining(holdIds[0]!)]);

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
    // Then what the bucket's records carry: both holds (one active), the run and its two soft-deleted studies.
    const ledgers = await restoreFromLedgers();
    expect(ledgers).toEqual({ holds: { restored: 2, already: 0, active: 1 }, dispositions: { runs: 1, softDeleted: 2, restoredSince: 0, purged: 0 }, unapplied: [] });

    // 7 of Strata's instance versions are listed (the deleted study's object has a delete marker and is not). Oldest
    // first per study: each was current when indexed, and instance 1's second version then replaced its first.
    expect(state).toMatchObject({ examined: 8, indexedAsCurrent: 7, indexedAsEarlierVersion: 0, alreadyIndexed: 0, tiersApplied: 2 });
    expect(state.unindexed).toEqual([{ key: foreign, reason: 'no strata-ingested-at metadata: not stored by Strata' }]);
    expect(await qidoAnswers()).toEqual(before);

    // A repeated run finds everything indexed and changes nothing.
    let again = emptyRebuildState();
    while (!again.done) again = await rebuildIndexPage(again, runtime.clock.now());
    expect(again).toMatchObject({ examined: 8, alreadyIndexed: 7, indexedAsCurrent: 0, tiersApplied: 0 });
    expect((await restoreFromLedgers()).holds).toEqual({ restored: 0, already: 2, active: 1 });
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
    expect(parallel.ledgers.dispositions).toEqual({ runs: 1, softDeleted: 2, restoredSince: 0, purged: 0 });
    // Each worker examined versions of its own (the ranges do not overlap: the sum is the whole).
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { ranges: { state: RebuildState }[] };
    expect(saved.ranges.map(({ state: s }) => s.examined).every((n) => n > 0)).toBe(true);
    expect(await qidoAnswers()).toEqual(before);

    // The rebuilt index still holds and disposes: the held study refuses DELETE ...
    const stillHeld = await fetch(`${runtime.url}/dicom-web/studies/${uid(100)}`, { method: 'DELETE' });
    expect([stillHeld.status, await stillHeld.text()]).toEqual([409, expect.stringContaining(holdIds[0]!)]);
    // ... a soft-deleted study is restored within its window, answering as before its disposition ...
    expect((await api('POST', '/dispositions/restore', { studyInstanceUID: uid(500) })).status).toBe(200);
    expect(await studyAnswer(uid(500))).toEqual(restorable);
    // ... and after the window the run's Purge and WriteCertificate steps (the local runtime does not resume the
    // execution that waited across the restart) destroy the other one and certify it.
    runtime.clock.advance(31 * 86_400_000);
    while ((await purgePage(TEST_TENANT, disposition, runtime.clock.now())).more);
    await writeCertificate(TEST_TENANT, disposition, runtime.clock.now());
    const run = (await api('GET', `/dispositions/${disposition}`)).json as { status: string; certificateKey: string };
    expect(run.status).toBe('PURGED');
    const certificate = JSON.parse(await (await s3For(runtime).send(new GetObjectCommand({ Bucket: runtime.names.bucket('archive'), Key: run.certificateKey }))).Body!.transformToString()) as { destroyed: { study: string }[]; kept: { study: string; state: string }[] };
    expect(certificate.destroyed.map((d) => d.study)).toEqual([uid(600)]);
    expect(certificate.kept).toEqual([{ study: uid(500), state: 'restored', reason: undefined }].map(({ reason: _, ...k }) => expect.objectContaining(k)));
    expect((await fetch(`${runtime.url}/dicom-web/studies/${uid(600)}/metadata`)).status).toBe(410);
    // Its vault's record in the bucket (the index items, PHI) went with it, every version; the restored study's stays (emptied).
    const records = await s3For(runtime).send(new ListObjectVersionsCommand({ Bucket: runtime.names.bucket('archive'), Prefix: `disposition/${TEST_TENANT}/vault/` }));
    expect([...new Set([...(records.Versions ?? []), ...(records.DeleteMarkers ?? [])].map((v) => v.Key))]).toEqual([`disposition/${TEST_TENANT}/vault/${uid(500)}.json`]);

    // Lost again after the restore and the purge: the restored study comes back live, the purged one as a tombstone (410).
    const settled = { answers: await qidoAnswers(), restored: await studyAnswer(uid(500)) };
    await dynamoFor(runtime).send(new DeleteTableCommand({ TableName: runtime.names.table('index') }));
    runtime = await runtime.restart();
    const last = await runRebuild({ now: () => runtime.clock.now(), out });
    expect(last.ledgers).toMatchObject({ holds: { restored: 2, active: 1 }, dispositions: { runs: 1, softDeleted: 0, restoredSince: 0, purged: 1 }, unapplied: [] });
    expect({ answers: await qidoAnswers(), restored: await studyAnswer(uid(500)) }).toEqual(settled);
    expect(settled.restored).toEqual(restorable);
    expect((await fetch(`${runtime.url}/dicom-web/studies/${uid(600)}/metadata`)).status).toBe(410);
  }, 540_000);
});
