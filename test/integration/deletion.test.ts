/**
 * A DELETE that outgrows its request (docs/deletion.md): recorded before anything goes, carried
 * on by the deletion workflow, followed at `GET /deletions/{id}`, and audited when it completes.
 * The delete function is given 8 s here, all of which the request keeps back for handing over,
 * so the request deletes exactly one batch and the workflow the rest.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3For } from '#test/helpers/aws.ts';
import { stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

type Dataset = Record<string, { Value?: unknown[] }>;
const STUDY = '2.25.84001';
const PATIENT = 'DELETION-PID';
const SERIES = [`${STUDY}.1`, `${STUDY}.2`];
const PER_SERIES = 90;
const instances = SERIES.flatMap((series) => Array.from({ length: PER_SERIES }, (_, i) => ({ study: STUDY, series, sop: `${series}.${i + 1}`, patientId: PATIENT })));

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
  }, 120_000);
  afterAll(async () => {
    await runtime?.dispose();
  });

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
  }, 120_000);

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
});
