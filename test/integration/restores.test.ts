/**
 * Cold retrieval on the local runtime (issue 12): WADO of a study in an archive tier starts one
 * restore through the restore workflow and answers 503 + Retry-After + a JSON body; asking
 * again starts nothing; the restore completes on the local clock and the bytes served are the
 * bytes stored. GLACIER_IR and metadata are served without any restore.
 */
import { GetObjectTaggingCommand, HeadObjectCommand, PutObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceObjectKey, type InstanceIdentity } from '#core/index-keys.ts';
import { s3For } from '#test/helpers/aws.ts';
import { multipartBodies, sha256, stow } from '#test/helpers/dicom.ts';
import { synthesize } from '#test/helpers/synthetic.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';

let serial = 0;
/** A study of `count` instances of ~197 KB each (over the 128 KB lifecycle floor). */
export function coldStudy(prefix: string, options: { count?: number; patientId?: string; studyDate?: string; modality?: string } = {}) {
  serial += 1;
  const study = `1.2.826.0.1.3680043.10.1201.${prefix}.${serial}`;
  const series = `${study}.1`;
  const instances = Array.from({ length: options.count ?? 1 }, (_, i) => {
    const sop = `${series}.${i + 1}`;
    const bytes = synthesize('SC_rgb_jpeg_dcmd.dcm', {
      study,
      series,
      sop,
      instanceNumber: i + 1,
      patientId: options.patientId ?? `P-${prefix}-${serial}`,
      studyDate: options.studyDate ?? '20300101',
      modality: options.modality ?? 'CT',
    });
    const id: InstanceIdentity = { tenant: TEST_TENANT, study, series, sop };
    return { id, bytes, key: instanceObjectKey(id, sha256(bytes)) };
  });
  return { study, series, instances };
}

export async function moveTo(runtime: TestRuntime, key: string, storageClass: string): Promise<void> {
  const response = await fetch(`${runtime.url}/_local/s3/transition`, { method: 'POST', body: JSON.stringify({ bucket: 'archive', key, storageClass }) });
  expect(response.status).toBe(200);
}

export async function advance(runtime: TestRuntime, spec: string): Promise<void> {
  const response = await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advance: spec }) });
  expect(response.status).toBe(200);
  await runtime.events.idle();
}

export const restoreExecutions = (runtime: TestRuntime) => runtime.stepFunctions.listExecutions(runtime.stepFunctions.arnOf('restore'));

interface RestoreBody {
  code: string;
  restore: { id: string; study: string; status: string; tier: string; expectedReadyAt: string; instances: { total: number; restored: number } };
}

describe('Cold retrieval through WADO', () => {
  let runtime: TestRuntime;
  let s3: S3Client;
  let Bucket: string;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    s3 = s3For(runtime);
    Bucket = runtime.names.bucket('archive');
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  const wado = (study: string, headers: Record<string, string> = {}) =>
    fetch(`${runtime.url}/dicom-web/studies/${study}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*', ...headers } });

  it('answers 503 + Retry-After + the restore as JSON, starts one restore however often it is asked, and serves identical bytes once restored', async () => {
    const cold = coldStudy('1', { count: 3 });
    expect((await stow(runtime.url, cold.instances.map((i) => i.bytes))).status).toBe(200);
    for (const instance of cold.instances) await moveTo(runtime, instance.key, 'DEEP_ARCHIVE');
    const before = restoreExecutions(runtime).length;

    const first = await wado(cold.study);
    expect(first.status).toBe(503);
    const retryAfter = Number(first.headers.get('retry-after'));
    const body = (await first.json()) as RestoreBody;
    expect(body.code).toBe('NotYetAvailable');
    // Policy default: Standard; DEEP_ARCHIVE Standard takes up to 12 hours.
    expect(body.restore).toMatchObject({ status: 'IN_PROGRESS', tier: 'Standard', instances: { total: 3, restored: 0 } });
    expect(retryAfter).toBeGreaterThan(11 * 3600);
    expect(retryAfter).toBeLessThanOrEqual(12 * 3600);
    const now = Date.parse(((await (await fetch(`${runtime.url}/_local/clock`)).json()) as { now: string }).now);
    expect(Date.parse(body.restore.expectedReadyAt) - now).toBeGreaterThan(11.9 * 3600_000);
    await runtime.stepFunctions.idle();
    expect(restoreExecutions(runtime).length).toBe(before + 1);
    expect(restoreExecutions(runtime).at(-1)!.status).toBe('SUCCEEDED');
    // S3 is restoring every object of the study.
    for (const instance of cold.instances) {
      expect((await s3.send(new HeadObjectCommand({ Bucket, Key: instance.key }))).Restore).toBe('ongoing-request="true"');
    }

    // Asked again (a second viewer, a retry) during the restore: the same restore, nothing new started.
    const second = await wado(cold.study);
    expect(second.status).toBe(503);
    expect(((await second.json()) as RestoreBody).restore.id).toBe(body.restore.id);
    await runtime.stepFunctions.idle();
    expect(restoreExecutions(runtime).length).toBe(before + 1);

    // Metadata never waits for a restore.
    const metadata = await fetch(`${runtime.url}/dicom-web/studies/${cold.study}/metadata`, { headers: { Accept: 'application/dicom+json' } });
    expect(metadata.status).toBe(200);

    // Progress: GET /restores/{id}; nothing restored yet.
    const progress = await fetch(`${runtime.url}/restores/${body.restore.id}`);
    expect(progress.status).toBe(200);
    expect(await progress.json()).toMatchObject({ id: body.restore.id, status: 'IN_PROGRESS', instances: { total: 3, restored: 0 } });

    await advance(runtime, '+13h');
    const done = (await (await fetch(`${runtime.url}/restores/${body.restore.id}`)).json()) as RestoreBody['restore'];
    expect(done).toMatchObject({ status: 'COMPLETED', instances: { total: 3, restored: 3 } });
    // Completion is announced once on the bus.
    const announced = runtime.events.published.filter((e) => e['detail-type'] === 'Restore Completed' && (e.detail as { id: string }).id === body.restore.id);
    expect(announced).toHaveLength(1);
    expect(announced[0]!.source).toBe('strata.restores');
    const served = await wado(cold.study);
    expect(served.status).toBe(200);
    const parts = multipartBodies(Buffer.from(await served.arrayBuffer()), served.headers.get('content-type')!);
    expect(parts.map((p) => sha256(p.body))).toEqual(cold.instances.map((i) => sha256(i.bytes)));
  });

  it('serves GLACIER_IR directly, starting nothing', async () => {
    const warm = coldStudy('2');
    expect((await stow(runtime.url, warm.instances.map((i) => i.bytes))).status).toBe(200);
    await moveTo(runtime, warm.instances[0]!.key, 'GLACIER_IR');
    const before = restoreExecutions(runtime).length;
    const response = await wado(warm.study);
    expect(response.status).toBe(200);
    const [part] = multipartBodies(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!);
    expect(sha256(part!.body)).toBe(sha256(warm.instances[0]!.bytes));
    expect(restoreExecutions(runtime).length).toBe(before);
  });

  it('a frame of a GLACIER instance starts the restore too, with the shorter expected time of GLACIER', async () => {
    const cold = coldStudy('3');
    expect((await stow(runtime.url, cold.instances.map((i) => i.bytes))).status).toBe(200);
    await moveTo(runtime, cold.instances[0]!.key, 'GLACIER');
    const { id } = cold.instances[0]!;
    const response = await fetch(`${runtime.url}/dicom-web/studies/${id.study}/series/${id.series}/instances/${id.sop}/frames/1`, {
      headers: { Accept: 'multipart/related; type="application/octet-stream"' },
    });
    expect(response.status).toBe(503);
    const body = (await response.json()) as RestoreBody;
    expect(body.restore).toMatchObject({ status: 'IN_PROGRESS', tier: 'Standard', instances: { total: 1, restored: 0 } });
    // GLACIER Standard: up to 5 hours.
    expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(5 * 3600);
    await runtime.stepFunctions.idle();
    await advance(runtime, '+6h');
    const after = await fetch(`${runtime.url}/dicom-web/studies/${id.study}/series/${id.series}/instances/${id.sop}/frames/1`, {
      headers: { Accept: 'multipart/related; type="application/octet-stream"' },
    });
    expect(after.status).toBe(200);
  });

  it('a rendered image or thumbnail of a DEEP_ARCHIVE instance starts the restore too (503 + the restore), and renders once restored', async () => {
    const cold = coldStudy('15');
    expect((await stow(runtime.url, cold.instances.map((i) => i.bytes))).status).toBe(200);
    await moveTo(runtime, cold.instances[0]!.key, 'DEEP_ARCHIVE');
    const { id } = cold.instances[0]!;
    const rendered = `${runtime.url}/dicom-web/studies/${id.study}/series/${id.series}/instances/${id.sop}/rendered`;
    const first = await fetch(rendered, { headers: { Accept: 'image/jpeg' } });
    expect(first.status).toBe(503);
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await first.json()) as RestoreBody;
    expect(body.restore).toMatchObject({ study: id.study, status: 'IN_PROGRESS', instances: { total: 1, restored: 0 } });
    const thumbnail = await fetch(`${runtime.url}/dicom-web/studies/${id.study}/thumbnail`, { headers: { Accept: 'image/jpeg' } });
    expect(thumbnail.status).toBe(503);
    expect(((await thumbnail.json()) as RestoreBody).restore.id).toBe(body.restore.id);
    await runtime.stepFunctions.idle();
    await advance(runtime, '+49h');
    const after = await fetch(rendered, { headers: { Accept: 'image/jpeg' } });
    expect(after.status).toBe(200);
    expect(after.headers.get('content-type')).toBe('image/jpeg');
  });

  it('POST /restores restores every study of a patient ahead of the read, joins restores in progress, and reports progress', async () => {
    const patientId = 'P-RESTORE-AHEAD';
    const first = coldStudy('4', { patientId, count: 2 });
    const second = coldStudy('5', { patientId });
    const online = coldStudy('6', { patientId });
    for (const s of [first, second, online]) expect((await stow(runtime.url, s.instances.map((i) => i.bytes))).status).toBe(200);
    for (const i of [...first.instances, ...second.instances]) await moveTo(runtime, i.key, 'GLACIER');
    // Already being restored through WADO before the request: joined, not restarted.
    expect((await wado(second.study)).status).toBe(503);
    await runtime.stepFunctions.idle();
    const before = restoreExecutions(runtime).length;

    const response = await fetch(`${runtime.url}/restores`, { method: 'POST', body: JSON.stringify({ patient: { id: patientId }, tier: 'Expedited' }) });
    expect(response.status).toBe(202);
    const { studies } = (await response.json()) as { studies: { study: string; status: string; started: boolean; restore?: RestoreBody['restore'] }[] };
    const byStudy = new Map(studies.map((s) => [s.study, s]));
    expect(byStudy.get(first.study)).toMatchObject({ status: 'IN_PROGRESS', started: true, restore: { tier: 'Expedited', instances: { total: 2, restored: 0 } } });
    expect(byStudy.get(second.study)).toMatchObject({ status: 'IN_PROGRESS', started: false, restore: { tier: 'Standard' } });
    expect(byStudy.get(online.study)).toMatchObject({ status: 'ONLINE', started: false });
    await runtime.stepFunctions.idle();
    expect(restoreExecutions(runtime).length).toBe(before + 1);

    const listed = (await (await fetch(`${runtime.url}/restores?patient=${patientId}`)).json()) as { restores: RestoreBody['restore'][] };
    expect(listed.restores.map((r) => r.study).sort()).toEqual([first.study, second.study].sort());

    // Expedited from GLACIER: up to 5 minutes.
    await advance(runtime, '+6m');
    expect(await (await fetch(`${runtime.url}/restores/${byStudy.get(first.study)!.restore!.id}`)).json()).toMatchObject({ status: 'COMPLETED', instances: { total: 2, restored: 2 } });
    expect(await (await fetch(`${runtime.url}/restores/${byStudy.get(second.study)!.restore!.id}`)).json()).toMatchObject({ status: 'IN_PROGRESS' });
    const response2 = await wado(first.study);
    expect(response2.status).toBe(200);
    await response2.arrayBuffer();
  });

  it('refuses Expedited for DEEP_ARCHIVE and bad requests with 400, and shows nothing of another tenant', async () => {
    const deep = coldStudy('7');
    expect((await stow(runtime.url, deep.instances.map((i) => i.bytes))).status).toBe(200);
    await moveTo(runtime, deep.instances[0]!.key, 'DEEP_ARCHIVE');
    const refused = await fetch(`${runtime.url}/restores`, { method: 'POST', body: JSON.stringify({ study: deep.study, tier: 'Expedited' }) });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toMatch(/Expedited retrieval is not available for DEEP_ARCHIVE/);
    for (const body of [{}, { study: 'x' }, { study: deep.study, tier: 'Fast' }, { study: deep.study, days: 0 }, { study: deep.study, patient: { id: 'p' } }, { study: deep.study, extra: 1 }]) {
      expect((await fetch(`${runtime.url}/restores`, { method: 'POST', body: JSON.stringify(body) })).status).toBe(400);
    }
    const started = await fetch(`${runtime.url}/restores`, { method: 'POST', body: JSON.stringify({ study: deep.study, tier: 'Bulk' }) });
    expect(started.status).toBe(202);
    const { studies } = (await started.json()) as { studies: { restore: RestoreBody['restore'] }[] };
    const id = studies[0]!.restore.id;
    expect(studies[0]!.restore).toMatchObject({ tier: 'Bulk', status: 'IN_PROGRESS' });

    const other = await runtime.authorization('other-tenant', ['dicom.read']);
    expect((await fetch(`${runtime.url}/restores/${id}`, { headers: other })).status).toBe(404);
    expect((await fetch(`${runtime.url}/restores`, { method: 'POST', body: JSON.stringify({ study: deep.study }), headers: other })).status).toBe(404);
    expect(((await (await fetch(`${runtime.url}/restores`, { headers: other })).json()) as { restores: unknown[] }).restores).toEqual([]);
    // A token without dicom.read may not ask.
    const writer = await runtime.authorization(TEST_TENANT, ['dicom.write']);
    expect((await fetch(`${runtime.url}/restores/${id}`, { headers: writer })).status).toBe(403);
  });

  it('reports study- and series-level InstanceAvailability from the tiers of their instances, kept current by the tier events', async () => {
    const study = coldStudy('8', { count: 2 });
    // A second series in the same study, left on Standard.
    const otherSeries = `${study.study}.2`;
    const warm = synthesize('SC_rgb_jpeg_dcmd.dcm', { study: study.study, series: otherSeries, sop: `${otherSeries}.1`, patientId: 'P-AVAIL', modality: 'CT' });
    expect((await stow(runtime.url, [...study.instances.map((i) => i.bytes), warm])).status).toBe(200);
    const availability = async () => {
      const studies = (await (await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=${study.study}`)).json()) as Record<string, { Value: string[] }>[];
      const series = (await (await fetch(`${runtime.url}/dicom-web/studies/${study.study}/series?includefield=00080056`)).json()) as Record<string, { Value: string[] }>[];
      return {
        study: studies[0]!['00080056']!.Value[0],
        series: Object.fromEntries(series.map((s) => [s['0020000E']!.Value[0], s['00080056']!.Value[0]])),
      };
    };
    expect(await availability()).toEqual({ study: 'ONLINE', series: { [study.series]: 'ONLINE', [otherSeries]: 'ONLINE' } });
    await moveTo(runtime, study.instances[0]!.key, 'GLACIER');
    expect(await availability()).toEqual({ study: 'NEARLINE', series: { [study.series]: 'NEARLINE', [otherSeries]: 'ONLINE' } });
    await moveTo(runtime, study.instances[1]!.key, 'DEEP_ARCHIVE');
    expect(await availability()).toEqual({ study: 'OFFLINE', series: { [study.series]: 'OFFLINE', [otherSeries]: 'ONLINE' } });
    // A duplicate class-changed event changes no count.
    await moveTo(runtime, study.instances[1]!.key, 'DEEP_ARCHIVE').catch(() => {});
    const started = await fetch(`${runtime.url}/restores`, { method: 'POST', body: JSON.stringify({ study: study.study }) });
    expect(started.status).toBe(202);
    await runtime.stepFunctions.idle();
    await advance(runtime, '+13h');
    expect(await availability()).toEqual({ study: 'ONLINE', series: { [study.series]: 'ONLINE', [otherSeries]: 'ONLINE' } });
    // The restored copies expire (7 days by policy): back to what the tiers say.
    await advance(runtime, '+8d');
    expect(await availability()).toEqual({ study: 'OFFLINE', series: { [study.series]: 'OFFLINE', [otherSeries]: 'ONLINE' } });
    // A second round after the copies expired: a new id, counted and completed like the first.
    const again = await fetch(`${runtime.url}/restores`, { method: 'POST', body: JSON.stringify({ study: study.study }) });
    const [second] = ((await again.json()) as { studies: { restore: RestoreBody['restore'] }[] }).studies;
    expect(second!.restore.id.startsWith('2.')).toBe(true);
    await runtime.stepFunctions.idle();
    await advance(runtime, '+13h');
    expect(await (await fetch(`${runtime.url}/restores/${second!.restore.id}`)).json()).toMatchObject({ status: 'COMPLETED', instances: { total: 2, restored: 2 } });
    expect((await availability()).study).toBe('ONLINE');
    await advance(runtime, '+8d');
    // Deleting the archived instances takes them out of the counts.
    for (const i of study.instances) {
      expect((await fetch(`${runtime.url}/dicom-web/studies/${study.study}/series/${study.series}/instances/${i.id.sop}`, { method: 'DELETE' })).status).toBeLessThan(300);
    }
    expect((await availability()).study).toBe('ONLINE');
  });

  it('prefetches priors: a new study restores the patient\'s archived earlier studies the policy names (same modality, last 3 years), once', async () => {
    const patientId = 'P-PRIORS';
    const recentCt = coldStudy('9', { patientId, studyDate: '20290301', modality: 'CT' });
    const recentMr = coldStudy('10', { patientId, studyDate: '20290601', modality: 'MR' });
    const oldCt = coldStudy('11', { patientId, studyDate: '20240101', modality: 'CT' });
    for (const s of [recentCt, recentMr, oldCt]) {
      expect((await stow(runtime.url, s.instances.map((i) => i.bytes))).status).toBe(200);
      for (const i of s.instances) await moveTo(runtime, i.key, 'DEEP_ARCHIVE');
    }
    await runtime.stepFunctions.idle();
    const prefetchArn = runtime.stepFunctions.arnOf('priorPrefetch');
    const before = runtime.stepFunctions.listExecutions(prefetchArn).length;

    const today = coldStudy('12', { patientId, studyDate: '20300101', modality: 'CT' });
    expect((await stow(runtime.url, today.instances.map((i) => i.bytes))).status).toBe(200);
    await runtime.stepFunctions.idle();
    const runs = runtime.stepFunctions.listExecutions(prefetchArn);
    expect(runs.length).toBe(before + 1);
    expect(runs.at(-1)!.status).toBe('SUCCEEDED');
    // One prior, named in the execution's output by a reference, not its UID (docs/security.md); the restores below say which.
    const { priors } = JSON.parse(runs.at(-1)!.output!) as { priors: string[] };
    expect(priors).toEqual([expect.stringMatching(/^ref:/)]);

    const { restores } = (await (await fetch(`${runtime.url}/restores?patient=${patientId}`)).json()) as { restores: (RestoreBody['restore'] & { reason: string })[] };
    expect(restores.map((r) => ({ study: r.study, reason: r.reason, tier: r.tier, status: r.status }))).toEqual([
      { study: recentCt.study, reason: 'prefetch', tier: 'Bulk', status: 'IN_PROGRESS' },
    ]);
    // The same study pushed again starts no second prefetch.
    expect((await stow(runtime.url, today.instances.map((i) => i.bytes))).status).toBe(200);
    await runtime.stepFunctions.idle();
    expect(runtime.stepFunctions.listExecutions(prefetchArn).length).toBe(before + 1);
    // Bulk from DEEP_ARCHIVE: up to 48 hours; then the prior is read at once.
    await advance(runtime, '+49h');
    const prior = await wado(recentCt.study);
    expect(prior.status).toBe(200);
    await prior.arrayBuffer();
  });

  it('re-classifies in bulk: pinning a study re-tags its objects, a policy-wide run re-tags only what changed, with counts', async () => {
    const pinned = coldStudy('13', { count: 3 });
    expect((await stow(runtime.url, pinned.instances.map((i) => i.bytes))).status).toBe(200);
    await moveTo(runtime, pinned.instances[0]!.key, 'DEEP_ARCHIVE');
    const classOf = async (key: string) => (await s3.send(new GetObjectTaggingCommand({ Bucket, Key: key }))).TagSet?.find((t) => t.Key === 'strata-policy-class')?.Value;
    expect(await classOf(pinned.instances[1]!.key)).toBe('clinical');

    const run = async (body: unknown) => {
      const started = await fetch(`${runtime.url}/admin/reclassifications`, { method: 'POST', body: JSON.stringify(body) });
      expect(started.status).toBe(202);
      const { id } = (await started.json()) as { id: string };
      await runtime.stepFunctions.idle();
      const view = (await (await fetch(`${runtime.url}/admin/reclassifications/${id}`)).json()) as { status: string; output: Record<string, number> };
      expect(view.status).toBe('SUCCEEDED');
      return view.output;
    };
    expect(await run({ study: pinned.study, pins: ['research'] })).toEqual({ studies: 1, examined: 3, retagged: 3, unchanged: 0, warmerTierWanted: 1, rewarmed: 0, failed: 0 });
    for (const i of pinned.instances) expect(await classOf(i.key)).toBe('pinned');
    // Other tags are kept.
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket, Key: pinned.instances[1]!.key }))).TagSet?.map((t) => t.Key).sort()).toEqual(['strata-policy-class', 'strata-policy-version']);

    // Unpinned, then the whole tenant re-evaluated (as after a policy change): only the pinned study's objects change.
    const unpinned = await fetch(`${runtime.url}/admin/reclassifications`, { method: 'POST', body: JSON.stringify({ study: pinned.study, pins: [] }) });
    expect(unpinned.status).toBe(202);
    await runtime.stepFunctions.idle();
    // Unpinning re-tagged them back already; a tenant-wide run now finds nothing to change.
    for (const i of pinned.instances) expect(await classOf(i.key)).toBe('clinical');
    // An object whose tag no longer says what the policy decides (as after a policy change) is the only one re-tagged.
    const other = coldStudy('14');
    expect((await stow(runtime.url, other.instances.map((i) => i.bytes))).status).toBe(200);
    await s3.send(new PutObjectTaggingCommand({ Bucket, Key: other.instances[0]!.key, Tagging: { TagSet: [{ Key: 'strata-policy-class', Value: 'legacy' }, { Key: 'strata-policy-version', Value: '0' }] } }));
    const all = await run({ all: true });
    expect(all.retagged).toBe(1);
    expect(all.unchanged).toBe(all.examined! - 1);
    expect(all.studies).toBeGreaterThanOrEqual(2);
    expect(await classOf(other.instances[0]!.key)).toBe('clinical');

    for (const body of [{}, { study: pinned.study }, { study: pinned.study, pins: ['forever'] }, { all: 'yes' }, { all: true, study: pinned.study }]) {
      expect((await fetch(`${runtime.url}/admin/reclassifications`, { method: 'POST', body: JSON.stringify(body) })).status).toBe(400);
    }
    expect((await fetch(`${runtime.url}/admin/reclassifications`, { method: 'POST', body: JSON.stringify({ study: '1.2.3.999', pins: [] }) })).status).toBe(404);
  });
});

