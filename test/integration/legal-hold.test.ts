/**
 * Legal holds on the local runtime (issue 14's acceptance): a held patient's objects refuse
 * S3 DeleteObject on every version, DELETE through the API answers 409 naming the hold, a
 * study arriving later for the patient is held at ingest, overlapping holds keep the lock until
 * the last is released, and the audit trail lists every hold action with its actor and counts.
 */
import { DeleteObjectCommand, GetObjectCommand, GetObjectLegalHoldCommand, ListObjectVersionsCommand, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3For } from '#test/helpers/aws.ts';
import { stow } from '#test/helpers/dicom.ts';
import { minimal } from '#test/helpers/synthetic.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

const PATIENT = 'HOLD-PAT-1';
const OTHER = 'FREE-PAT-2';
const uid = (n: number) => `1.2.826.0.1.3680043.8.498.14${n}`;
const study = (n: number, patientId: string, modality?: string) =>
  [1, 2].map((i) => minimal({ study: uid(n), series: `${uid(n)}.1`, sop: `${uid(n)}.1.${i}`, patientId, ...(modality ? { modality } : {}) }));

interface HoldView {
  id: string;
  status: string;
  studies: string[];
  effective: { index: boolean; s3: boolean };
  studyCount: number;
  progress: { s3: string; studiesDone: number; instances: number; objectVersions: number; bytes: number };
}

describe('Legal holds (issue 14 acceptance, local runtime)', () => {
  let runtime: TestRuntime;
  let s3: S3Client;
  let Bucket: string;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    s3 = s3For(runtime);
    Bucket = runtime.names.bucket('archive');
    for (const [n, patient] of [[1, PATIENT], [2, PATIENT], [3, OTHER]] as const) expect((await stow(runtime.url, study(n, patient))).status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await runtime?.dispose();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${runtime.url}${path}`, { method, ...(body ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {}) });
    return { status: response.status, json: (await response.json().catch(() => undefined)) as Record<string, unknown> };
  };
  const place = async (scope: unknown) => {
    const answer = await api('POST', '/holds', { matter: 'Doe v. Hospital', reason: 'anticipated litigation', scope });
    expect(answer.status, JSON.stringify(answer.json)).toBe(201);
    return answer.json as unknown as HoldView;
  };
  /** The hold once its workflow has finished in S3 (bounded polling, no sleeps asserted). */
  const settled = async (id: string, s3State: 'locked' | 'unlocked') => {
    for (let i = 0; i < 300; i++) {
      const view = (await api('GET', `/holds/${id}`)).json as unknown as HoldView;
      if (view.progress.s3 === s3State) return view;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`hold ${id} never reached ${s3State}`);
  };
  const versionsOf = async (studyUid: string) => {
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: `default/studies/${studyUid}/` }));
    return (listed.Versions ?? []).map((v) => ({ Key: v.Key!, VersionId: v.VersionId! }));
  };
  const deleteRefused = async (version: { Key: string; VersionId: string }) => {
    try {
      await s3.send(new DeleteObjectCommand({ Bucket, ...version }));
      return false;
    } catch (error) {
      return error instanceof S3ServiceException && error.name === 'AccessDenied';
    }
  };
  const legalHoldOf = async (version: { Key: string; VersionId: string }) =>
    (await s3.send(new GetObjectLegalHoldCommand({ Bucket, ...version })).catch(() => undefined))?.LegalHold?.Status ?? 'none';

  let patientHold: HoldView;

  it('holds a patient: effective in the index at once, then on every object version in S3, which refuses their deletion', async () => {
    // A second version of one object, so "every version" means more than the current one.
    const [first] = await versionsOf(uid(1));
    const bytes = await (await s3.send(new GetObjectCommand({ Bucket, Key: first!.Key }))).Body!.transformToByteArray();
    await s3.send(new PutObjectCommand({ Bucket, Key: first!.Key, Body: bytes }));

    patientHold = await place({ patient: { id: PATIENT } });
    expect(patientHold.studies.sort()).toEqual([uid(1), uid(2)]);
    expect(patientHold.effective.index).toBe(true);
    const refused = await api('DELETE', `/dicom-web/studies/${uid(1)}`);
    expect(refused.status).toBe(409);
    expect(String(refused.json.message)).toContain(patientHold.id);

    const done = await settled(patientHold.id, 'locked');
    expect(done.effective).toEqual({ index: true, s3: true });
    expect(done.progress.instances).toBe(4);
    const versions = [...(await versionsOf(uid(1))), ...(await versionsOf(uid(2)))];
    expect(done.progress.objectVersions).toBe(versions.length);
    expect(versions.length).toBe(5);
    for (const version of versions) {
      expect(await legalHoldOf(version), version.Key).toBe('ON');
      expect(await deleteRefused(version), version.Key).toBe(true);
    }
    // The other patient's study is not held.
    expect((await api('DELETE', `/dicom-web/studies/${uid(3)}`)).status).toBe(204);
  });

  it('holds a study that arrives later for the held patient at ingest, and counts it once in the hold', async () => {
    const before = ((await api('GET', `/holds/${patientHold.id}`)).json as unknown as HoldView).progress;
    const arriving = study(4, PATIENT);
    expect((await stow(runtime.url, arriving)).status).toBe(200);
    const versions = await versionsOf(uid(4));
    expect(versions).toHaveLength(2);
    for (const version of versions) expect(await deleteRefused(version)).toBe(true);
    const refused = await api('DELETE', `/dicom-web/studies/${uid(4)}`);
    expect([refused.status, String(refused.json.message).includes(patientHold.id)]).toEqual([409, true]);
    const after = (await api('GET', `/holds/${patientHold.id}`)).json as unknown as HoldView;
    expect(after.studies).toContain(uid(4));
    // What the hold covers now counts the arrival: its study, its 2 instances, their bytes and locked versions.
    const arrived = arriving.reduce((sum, bytes) => sum + bytes.length, 0);
    const expected = { studiesDone: before.studiesDone + 1, instances: before.instances + 2, bytes: before.bytes + arrived, objectVersions: before.objectVersions + 2 };
    expect([after.studyCount, after.progress]).toEqual([3, { ...before, ...expected }]);
    // The same push again, and a retried request (one instance), count nothing twice.
    expect((await stow(runtime.url, arriving)).status).toBe(200);
    expect((await stow(runtime.url, [arriving[0]!])).status).toBe(200);
    expect(((await api('GET', `/holds/${patientHold.id}`)).json as unknown as HoldView).progress).toEqual(after.progress);
  });

  it('keeps objects locked while an overlapping hold remains, and makes them deletable once the last is released', async () => {
    const studyHold = await place({ study: uid(2) });
    await settled(studyHold.id, 'locked');

    expect((await api('POST', `/holds/${patientHold.id}/release`)).status).toBe(202);
    await settled(patientHold.id, 'unlocked');
    for (const version of await versionsOf(uid(2))) expect(await legalHoldOf(version)).toBe('ON'); // still under the study hold
    for (const version of await versionsOf(uid(1))) expect(await legalHoldOf(version)).toBe('OFF');
    const stillHeld = await api('DELETE', `/dicom-web/studies/${uid(2)}`);
    expect([stillHeld.status, String(stillHeld.json.message).includes(studyHold.id)]).toEqual([409, true]);
    expect((await api('POST', `/holds/${patientHold.id}/release`)).status).toBe(409); // released once

    expect((await api('POST', `/holds/${studyHold.id}/release`)).status).toBe(202);
    await settled(studyHold.id, 'unlocked');
    for (const version of await versionsOf(uid(2))) expect(await legalHoldOf(version)).toBe('OFF');
    for (const n of [1, 2, 4]) expect((await api('DELETE', `/dicom-web/studies/${uid(n)}`)).status, uid(n)).toBe(204);
    const [gone] = await versionsOf(uid(2));
    await s3.send(new DeleteObjectCommand({ Bucket, ...gone! })); // no longer refused
  });

  it('lists holds for the tenant only, and refuses bad requests', async () => {
    const listed = (await api('GET', '/holds')).json as { holds: { id: string; status: string }[] };
    expect(listed.holds.map((h) => h.status)).toEqual(['released', 'released']);
    const otherTenant = await fetch(`${runtime.url}/holds/${patientHold.id}`, { headers: await runtime.authorization('other-tenant') });
    expect(otherTenant.status).toBe(404);
    expect((await api('POST', '/holds', { matter: 'm', reason: 'r', scope: { study: 'not a uid' } })).status).toBe(400);
    expect((await api('POST', '/holds', { matter: 'm', reason: 'r', scope: { patient: { id: 'x' }, study: uid(1) } })).status).toBe(400);
    expect((await api('GET', '/holds/not-a-hold')).status).toBe(404);
    // A query QIDO would answer by ignoring a key it does not know, or with no matching key, would hold the whole tenant.
    for (const query of ['PatientId=' + PATIENT, 'Foo=bar', 'limit=10', 'PatientID=']) {
      const refused = await api('POST', '/holds', { matter: 'm', reason: 'r', scope: { query } });
      expect(refused.status, query).toBe(400);
    }
    expect((await api('GET', '/holds')).json).toEqual(listed);
  });

  it('records every hold action in the audit trail with its actor and counts', async () => {
    const response = await fetch(`${runtime.url}/audit?patient=${PATIENT}`);
    const { records } = (await response.json()) as { records: { kind: string; actor: { clientId: string }; detail?: Record<string, string | number> }[] };
    const holdRecords = records.filter((r) => r.kind === 'legalHold' && r.detail?.holdId === patientHold.id);
    expect(holdRecords.map((r) => r.detail!.holdAction).sort()).toEqual(['place', 'place-completed', 'release', 'release-completed']);
    for (const record of holdRecords) expect(record.actor.clientId).toBe('strata-tests');
    expect(holdRecords.find((r) => r.detail!.holdAction === 'place')!.detail).toMatchObject({ scope: 'patient', studies: 2 });
    expect(holdRecords.find((r) => r.detail!.holdAction === 'place-completed')!.detail).toMatchObject({ instances: 4, objectVersions: 5, studies: 2 });
    expect(holdRecords.find((r) => r.detail!.holdAction === 'release-completed')!.detail).toMatchObject({ studies: 3, instances: 6 });
  });

  it('finds every hold action in the audit trail of each patient it covered, whatever the scope (query, study)', async () => {
    const [Q, S] = ['AUDIT-PAT-Q', 'AUDIT-PAT-S'];
    expect((await stow(runtime.url, study(5, Q, 'XA'))).status).toBe(200);
    expect((await stow(runtime.url, study(6, S, 'XA'))).status).toBe(200);
    const queryHold = await place({ query: 'ModalitiesInStudy=XA' });
    const studyHold = await place({ study: uid(6) });
    expect(queryHold.studies.sort()).toEqual([uid(5), uid(6)]);
    for (const hold of [queryHold, studyHold]) await settled(hold.id, 'locked');
    for (const hold of [queryHold, studyHold]) expect((await api('POST', `/holds/${hold.id}/release`)).status).toBe(202);
    for (const hold of [queryHold, studyHold]) await settled(hold.id, 'unlocked');

    const trail = async (patient: string) => {
      const response = await fetch(`${runtime.url}/audit?patient=${patient}`);
      const { records } = (await response.json()) as { records: { kind: string; patientId: string; studies: string[]; actor: { clientId: string }; detail?: Record<string, string | number> }[] };
      return records.filter((r) => r.kind === 'legalHold');
    };
    const actions = (records: Awaited<ReturnType<typeof trail>>, holdId: string) => records.filter((r) => r.detail?.holdId === holdId).map((r) => r.detail!.holdAction).sort();
    const all = ['place', 'place-completed', 'release', 'release-completed'];
    const ofQ = await trail(Q);
    const ofS = await trail(S);
    expect(actions(ofQ, queryHold.id)).toEqual(all);
    expect(actions(ofS, queryHold.id)).toEqual(all);
    expect(actions(ofS, studyHold.id)).toEqual(all);
    expect(actions(ofQ, studyHold.id)).toEqual([]); // the study hold never covered Q
    // Each patient's record names that patient's studies only, with the hold's counts.
    for (const record of ofQ) expect([record.patientId, record.studies]).toEqual([Q, [uid(5)]]);
    expect(ofS.find((r) => r.detail?.holdId === queryHold.id && r.detail.holdAction === 'place-completed')).toMatchObject({ patientId: S, studies: [uid(6)], detail: { studies: 2, instances: 4 } });
    expect(ofS.find((r) => r.detail?.holdId === studyHold.id && r.detail.holdAction === 'place')!.detail).toMatchObject({ scope: 'study', studies: 1 });
    for (const record of [...ofQ, ...ofS]) expect(record.actor.clientId).toBe('strata-tests');
  });
});
