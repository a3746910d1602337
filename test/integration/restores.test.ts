/**
 * Cold retrieval on the local runtime (issue 12): WADO of a study in an archive tier starts one
 * restore through the restore workflow and answers 503 + Retry-After + a JSON body; asking
 * again starts nothing; the restore completes on the local clock and the bytes served are the
 * bytes stored. GLACIER_IR and metadata are served without any restore.
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
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
  restore: { id: string; status: string; tier: string; expectedReadyAt: string; instances: { total: number; restored: number } };
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

    await advance(runtime, '+13h');
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

  it('a frame of a GLACIER instance starts the restore too, with GLACIER's shorter expected time', async () => {
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
});
