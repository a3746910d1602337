import { ListObjectsV2Command, PutObjectLegalHoldCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceObjectKey } from '#core/index-keys.ts';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

type Dataset = Record<string, { Value?: unknown[] }>;
const STUDY = '2.25.500';
const INSTANCES = [
  { series: '2.25.500.1', sop: '2.25.500.1.1', modality: 'CT' },
  { series: '2.25.500.1', sop: '2.25.500.1.2', modality: 'CT' },
  { series: '2.25.500.2', sop: '2.25.500.2.1', modality: 'SR' },
];
const FILES = INSTANCES.map((i) => synthesize('CT_small.dcm', { study: STUDY, series: i.series, sop: i.sop, modality: i.modality }));

describe('DELETE of instances, series and studies', () => {
  let runtime: TestRuntime;
  let base: string;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    base = `${runtime.url}/dicom-web/studies/${STUDY}`;
    expect((await stow(runtime.url, FILES)).status).toBe(200);
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  const study = async () => ((await (await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=${STUDY}`)).json()) as Dataset[])[0];
  const wado = (path: string) => fetch(`${base}${path}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });

  it('deletes an instance: its bytes answer 410 and the study counts drop', async () => {
    expect((await fetch(`${base}/series/2.25.500.1/instances/2.25.500.1.2`, { method: 'DELETE' })).status).toBe(204);
    expect((await wado('/series/2.25.500.1/instances/2.25.500.1.2')).status).toBe(410);
    expect((await study())!['00201208']?.Value).toEqual([2]);
    expect((await wado('/series/2.25.500.1/instances/2.25.500.1.1')).status).toBe(200);
  });

  it('deletes a series and takes its modality out of ModalitiesInStudy', async () => {
    expect((await fetch(`${base}/series/2.25.500.2`, { method: 'DELETE' })).status).toBe(204);
    const summary = await study();
    expect(summary!['00201206']?.Value).toEqual([1]);
    expect(summary!['00080061']?.Value).toEqual(['CT']);
    expect((await wado('/series/2.25.500.2')).status).toBe(410);
  });

  it('keeps an instance under legal hold, answering 409, and deletes it once the hold is released', async () => {
    const [held] = INSTANCES;
    const Key = instanceObjectKey({ tenant: 'default', study: STUDY, series: held!.series, sop: held!.sop }, sha256(FILES[0]!));
    const s3 = s3For(runtime);
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: runtime.names.bucket('archive'), Key, LegalHold: { Status: 'ON' } }));
    const refused = await fetch(base, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { message: string }).message).toMatch(/legal hold/);
    expect((await wado('')).status).toBe(200);

    await s3.send(new PutObjectLegalHoldCommand({ Bucket: runtime.names.bucket('archive'), Key, LegalHold: { Status: 'OFF' } }));
    expect((await fetch(base, { method: 'DELETE' })).status).toBe(204);
    expect((await wado('')).status).toBe(410);
    expect(await study()).toBeUndefined();
  });

  it('leaves neither bytes nor metadata documents (PHI) of a deleted study in the bucket', async () => {
    const left = async (prefix: string) =>
      (await s3For(runtime).send(new ListObjectsV2Command({ Bucket: runtime.names.bucket('archive'), Prefix: prefix }))).KeyCount ?? 0;
    // docs/data-model.md: <tenant>/studies/<study>/… holds the bytes, <tenant>/metadata/studies/<study>/… the DICOM JSON.
    expect(await left(`default/studies/${STUDY}/`)).toBe(0);
    expect(await left(`default/metadata/studies/${STUDY}/`)).toBe(0);
  });

  it('answers 404 for what never existed', async () => {
    expect((await fetch(`${runtime.url}/dicom-web/studies/2.25.404`, { method: 'DELETE' })).status).toBe(404);
    expect((await wado('/series/9.9')).status).toBe(410); // inside a deleted study
  });

  it('records each deletion in the audit trail, with its counts and outcome', async () => {
    const { records } = (await (await fetch(`${runtime.url}/audit?client=strata-tests`)).json()) as { records: { kind: string; eventId: string; route: string; outcome: number; status: number; studies: string[]; detail?: Record<string, number> }[] };
    const deletions = records.filter((r) => r.eventId === '110105' || r.eventId === '110103');
    const summary = (r: (typeof deletions)[number]) => [r.kind, r.status, r.outcome, r.detail?.instancesDeleted, r.detail?.instancesKept];
    // Each deletion's completion has its own record (docs/deletion.md), written before the deletion counts as done.
    expect(deletions.filter((r) => r.route.endsWith(' deletion/completed')).map(summary)).toEqual([
      ['deleteInstances', 204, 0, 1, 0],
      ['deleteInstances', 204, 0, 1, 0],
      ['deleteStudy', 409, 4, 0, 1],
      ['deleteStudy', 204, 0, 1, 0],
    ]);
    expect(deletions.filter((r) => !r.route.endsWith(' deletion/completed')).map(summary)).toEqual([
      ['deleteInstances', 204, 0, 1, 0],
      ['deleteInstances', 204, 0, 1, 0],
      ['deleteStudy', 409, 4, 0, 1],
      ['deleteStudy', 204, 0, 1, 0],
      ['deleteStudy', 404, 4, undefined, undefined],
    ]);
  });
});
