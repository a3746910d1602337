/**
 * A DELETE that outgrows its request (docs/deletion.md): recorded before anything goes, carried
 * on by the deletion workflow, followed at `GET /deletions/{id}`, and audited when it completes.
 * The delete function is given 8 s here, all of which the request keeps back for handing over,
 * so the request deletes exactly one batch and the workflow the rest.
 */
import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectLegalHoldCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

type Dataset = Record<string, { Value?: unknown[] }>;
const STUDY = '2.25.84001';
const PATIENT = 'DELETION-PID';
const SERIES = [`${STUDY}.1`, `${STUDY}.2`];
const PER_SERIES = 40;
const instances = SERIES.flatMap((series) => Array.from({ length: PER_SERIES }, (_, i) => ({ study: STUDY, series, sop: `${series}.${i + 1}`, patientId: PATIENT })));
// A second study, for two workers on one deletion.
const RACED = '2.25.84002';
const RACED_PATIENT = 'DELETION-RACE-PID';
const raced = [`${RACED}.1`, `${RACED}.2`].flatMap((series) => Array.from({ length: 25 }, (_, i) => ({ study: RACED, series, sop: `${series}.${i + 1}`, patientId: RACED_PATIENT })));

interface DeletionView {
  id: string;
  status: string;
  resource: { study: string; series?: string; instance?: string };
  instances: number;
  deleted: number;
  kept: number;
  location?: string;
}

describe('A deletion that outgrows its request', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime({ functionTimeoutSeconds: { deleteResources: 8 } });
    for (let i = 0; i < instances.length; i += 45) {
      expect((await stow(runtime.url, instances.slice(i, i + 45).map((uids) => synthesize('CT_small.dcm', uids)))).status).toBe(200);
    }
    for (let i = 0; i < raced.length; i += 45) {
      expect((await stow(runtime.url, raced.slice(i, i + 45).map((uids) => synthesize('CT_small.dcm', uids)))).status).toBe(200);
    }
  }, 300_000);
  afterAll(async () => {
    await runtime?.dispose();
  });

  /**
   * Writes a deletion record as a request or step that died left it, last saved long ago (so
   * the maintenance takes it for stalled), and returns its id.
   */
  async function recordLeftBehind(study: string, fields: Record<string, unknown>): Promise<string> {
    const id = randomUUID();
    const at = '2026-01-05T10:00:00.000Z';
    await DynamoDBDocumentClient.from(dynamoFor(runtime)).send(
      new PutCommand({
        TableName: runtime.names.table('index'),
        Item: {
          ...{ pk: `T#default#DELETION#${id}`, sk: 'DELETION', gsi3pk: 'T#default#DELETING', gsi3sk: `${at}#${id}`, tenant: 'default' },
          ...{ id, scope: { tenant: 'default', study }, status: 'DELETING', requestedAt: at, requestedBy: 'strata-tests', instances: 3 },
          ...{ progress: { deleted: 0, kept: 0, countsDrifted: false }, updatedAt: at, attempts: 0 },
          ...fields,
        },
      }),
    );
    return id;
  }

  it('answers 202 with where to follow it, and the workflow deletes the rest: no entry, object or count is left', async () => {
    const response = await fetch(`${runtime.url}/dicom-web/studies/${STUDY}`, { method: 'DELETE' });
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as DeletionView;
    expect(response.headers.get('location')).toBe(accepted.location);
    expect(accepted).toMatchObject({ status: 'DELETING', resource: { study: STUDY }, instances: instances.length, kept: 0 });
    // One batch within the request; the rest is left to the workflow.
    expect(accepted.deleted).toBeGreaterThan(0);
    expect(accepted.deleted).toBeLessThan(instances.length);

    await runtime.stepFunctions.idle();
    const followed = await fetch(accepted.location!);
    expect(followed.status).toBe(200);
    expect(await followed.json()).toMatchObject({ id: accepted.id, status: 'COMPLETED', instances: instances.length, deleted: instances.length, kept: 0 });

    expect((await fetch(`${runtime.url}/dicom-web/studies/${STUDY}`, { headers: { Accept: 'multipart/related; type="application/dicom"' } })).status).toBe(410);
    const found = (await (await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=${STUDY}`)).json()) as Dataset[];
    expect(found).toEqual([]);
    const listed = await s3For(runtime).send(new ListObjectsV2Command({ Bucket: runtime.names.bucket('archive'), Prefix: `default/studies/${STUDY}/` }));
    expect(listed.KeyCount).toBe(0);
    const metadata = await s3For(runtime).send(new ListObjectsV2Command({ Bucket: runtime.names.bucket('archive'), Prefix: `default/metadata/studies/${STUDY}/` }));
    expect(metadata.KeyCount).toBe(0);
  }, 300_000);

  it('records the request and its completion, with the counts, in the audit trail', async () => {
    const { records } = (await (await fetch(`${runtime.url}/audit?patient=${PATIENT}`)).json()) as { records: { kind: string; route: string; status: number; detail?: Record<string, unknown> }[] };
    const deletes = records.filter((r) => r.kind === 'deleteStudy');
    expect(deletes.map((r) => r.status).sort()).toEqual([202, 204]);
    expect(deletes.find((r) => r.status === 204)!.detail).toMatchObject({ instancesDeleted: instances.length, instancesKept: 0 });
  });

  it('answers 404 for a deletion of another tenant, and for ids that name none', async () => {
    const response = await fetch(`${runtime.url}/dicom-web/studies/${STUDY}`, { method: 'DELETE' });
    expect(response.status).toBe(410);
    const other = await runtime.authorization('deletion-other', ['dicom.delete']);
    const own = await runtime.authorization('default', ['dicom.delete']);
    const { records } = (await (await fetch(`${runtime.url}/audit?patient=${PATIENT}`)).json()) as { records: { status: number; detail?: Record<string, unknown> }[] };
    const id = String(records.find((r) => r.status === 202)!.detail!.deletion);
    expect((await fetch(`${runtime.url}/deletions/${id}`, { headers: own })).status).toBe(200);
    expect((await fetch(`${runtime.url}/deletions/${id}`, { headers: other })).status).toBe(404);
    expect((await fetch(`${runtime.url}/deletions/not-an-id`, { headers: own })).status).toBe(404);
  });

  it('stays exact when two workers carry one deletion on at once: one stops, the counts and the audit are not doubled', async () => {
    const response = await fetch(`${runtime.url}/dicom-web/studies/${RACED}`, { method: 'DELETE' });
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as DeletionView;
    // As when maintenance takes a slow step for stalled: a second execution of the deletion workflow while the first runs.
    runtime.stepFunctions.startExecution(runtime.stepFunctions.arnOf('deletion'), JSON.stringify({ tenant: 'default', id: accepted.id }), `${accepted.id}-raced`);
    await runtime.stepFunctions.idle();
    expect(await (await fetch(accepted.location!)).json()).toMatchObject({ status: 'COMPLETED', instances: raced.length, deleted: raced.length, kept: 0 });
    const { records } = (await (await fetch(`${runtime.url}/audit?patient=${RACED_PATIENT}`)).json()) as { records: { route: string; detail?: Record<string, unknown> }[] };
    const completions = records.filter((r) => r.route.endsWith(' deletion/completed'));
    expect(completions.map((r) => r.detail)).toEqual([{ deletion: accepted.id, instancesDeleted: raced.length, instancesKept: 0 }]);
    expect(await (await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=${RACED}`)).json()).toEqual([]);
  }, 300_000);

  it('audits a finished deletion whose audit record a crash kept from being written, once', async () => {
    // What a kill between recording the outcome and appending the audit record leaves (docs/deletion.md).
    const patientId = 'DELETION-AUDIT-PID';
    const id = await recordLeftBehind('2.25.84003', {
      ...{ status: 'COMPLETED', progress: { after: '2.25.84003.1#2.25.84003.1.3', deleted: 3, kept: 0, countsDrifted: false } },
      ...{ finishedAt: '2026-01-05T10:00:00.000Z', patientId, auditPending: true },
    });
    const completions = async () => {
      const { records } = (await (await fetch(`${runtime.url}/audit?patient=${patientId}`)).json()) as { records: { route: string; detail?: Record<string, unknown> }[] };
      return records.filter((r) => r.route.endsWith(' deletion/completed')).map((r) => r.detail);
    };
    expect(await completions()).toEqual([]);
    for (const _ of [1, 2]) {
      const started = await fetch(`${runtime.url}/admin/index-maintenance`, { method: 'POST' });
      expect(started.status).toBe(202);
      await runtime.stepFunctions.idle();
    }
    expect(await completions()).toEqual([{ deletion: id, instancesDeleted: 3, instancesKept: 0 }]);
    expect(await (await fetch(`${runtime.url}/deletions/${id}`)).json()).toMatchObject({ status: 'COMPLETED', deleted: 3 });
  }, 300_000);

  it('keeps what a legal hold placed after the request covers, even where S3 does not lock it yet', async () => {
    const study = '2.25.84004';
    const held = [1, 2, 3].map((i) => ({ study, series: `${study}.1`, sop: `${study}.1.${i}`, patientId: 'DELETION-HELD-PID' }));
    expect((await stow(runtime.url, held.map((uids) => synthesize('CT_small.dcm', uids)))).status).toBe(200);
    const hold = await fetch(`${runtime.url}/holds`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ matter: 'M-1', reason: 'r', scope: { study } }) });
    expect(hold.status).toBe(201);
    await runtime.stepFunctions.idle();
    // The hold is effective in the index at once, in S3 when its workflow has set every lock: as before that.
    const s3 = s3For(runtime);
    const Bucket = runtime.names.bucket('archive');
    for (const { Key } of (await s3.send(new ListObjectsV2Command({ Bucket, Prefix: `default/studies/${study}/` }))).Contents ?? []) {
      await s3.send(new PutObjectLegalHoldCommand({ Bucket, Key, LegalHold: { Status: 'OFF' } }));
    }
    // A deletion recorded before the hold (its request found nothing held), resumed after it.
    const id = await recordLeftBehind(study, {});
    expect((await fetch(`${runtime.url}/admin/index-maintenance`, { method: 'POST' })).status).toBe(202);
    await runtime.stepFunctions.idle();
    expect(await (await fetch(`${runtime.url}/deletions/${id}`)).json()).toMatchObject({ status: 'PARTLY_KEPT', deleted: 0, kept: 3 });
    const found = (await (await fetch(`${runtime.url}/dicom-web/studies/${study}/instances`)).json()) as Dataset[];
    expect(found).toHaveLength(3);
    expect((await fetch(`${runtime.url}/dicom-web/studies/${study}`, { headers: { Accept: 'multipart/related; type="application/dicom"' } })).status).toBe(200);
  }, 300_000);

  it('brings back the bytes an interrupted step deleted when a hold placed before the step resumed covers them', async () => {
    const study = '2.25.84005';
    const held = [1, 2, 3].map((i) => ({ study, series: `${study}.1`, sop: `${study}.1.${i}`, patientId: 'DELETION-REHELD-PID' }));
    expect((await stow(runtime.url, held.map((uids) => synthesize('CT_small.dcm', uids)))).status).toBe(200);
    // A step killed after the bytes went (delete markers), before the entries: what it leaves.
    const id = await recordLeftBehind(study, { attempts: 1 });
    const s3 = s3For(runtime);
    const Bucket = runtime.names.bucket('archive');
    for (const prefix of [`default/studies/${study}/`, `default/metadata/studies/${study}/`]) {
      for (const { Key } of (await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }))).Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket, Key }));
    }
    const retrieve = () => fetch(`${runtime.url}/dicom-web/studies/${study}`, { headers: { Accept: 'multipart/related; type="application/dicom"' } });
    expect((await retrieve()).status).toBe(404);
    // Then a hold on the study, before maintenance resumes the deletion.
    const hold = await fetch(`${runtime.url}/holds`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ matter: 'M-2', reason: 'r', scope: { study } }) });
    expect(hold.status).toBe(201);
    await runtime.stepFunctions.idle();
    expect((await fetch(`${runtime.url}/admin/index-maintenance`, { method: 'POST' })).status).toBe(202);
    await runtime.stepFunctions.idle();
    expect(await (await fetch(`${runtime.url}/deletions/${id}`)).json()).toMatchObject({ status: 'PARTLY_KEPT', deleted: 0, kept: 3 });
    const answer = await retrieve();
    expect(answer.status).toBe(200);
    expect(await (await fetch(`${runtime.url}/dicom-web/studies/${study}/series/${study}.1/instances/${study}.1.1/metadata`)).status).toBe(200);
  }, 300_000);
});
