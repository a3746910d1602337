/**
 * The local admin routes refuse bad input and change nothing when they do (issue 8, point 10):
 * each case below is a reproduction that used to leave the runtime damaged.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CopyObjectCommand, DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, RestoreObjectCommand, S3ServiceException, type StorageClass } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceObjectKey } from '#core/index-keys.ts';
import { s3For } from '#test/helpers/aws.ts';
import { CT_SMALL, fixture, sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

const WADO_ACCEPT = { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' };
const CT_KEY = instanceObjectKey({ tenant: 'default', study: CT_SMALL.study, series: CT_SMALL.series, sop: CT_SMALL.sop }, sha256(fixture(CT_SMALL.file)));

describe('Local admin routes: bad input is refused and changes nothing', () => {
  let runtime: TestRuntime;
  const admin = (path: string, body: unknown, method = 'POST') =>
    fetch(`${runtime.url}/_local/${path}`, { method, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const clockFile = () => readFileSync(join(runtime.dataDir, 'clock.json'), 'utf8');
  /** The archive still works end to end: WADO serves the stored bytes and /health is ok. */
  const expectServing = async () => {
    const wado = await fetch(`${runtime.url}/dicom-web/studies/${CT_SMALL.study}`, { headers: WADO_ACCEPT });
    expect(wado.status).toBe(200);
    expect(Buffer.from(await wado.arrayBuffer()).includes(fixture(CT_SMALL.file))).toBe(true);
    expect((await fetch(`${runtime.url}/health`)).status).toBe(200);
  };

  beforeAll(async () => {
    runtime = await startTestRuntime();
    expect((await stow(runtime.url, [fixture(CT_SMALL.file)])).status).toBe(200);
    expect((await admin('clock', { advance: '+1d' })).status).toBe(200);
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('refuses a clock advance past year 9999 without saving it; STOW and a restart still work', async () => {
    const before = clockFile();
    const refused = await admin('clock', { advance: '+99999999999d' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toMatch(/cannot pass 9999/);
    expect((await admin('clock', { to: '+275760-09-13T00:00:00Z' })).status).toBe(400);
    expect(clockFile()).toBe(before);
    const state = (await (await fetch(`${runtime.url}/_local/clock`)).json()) as { offsetMs: number };
    expect(state.offsetMs).toBe(86_400_000);
    expect((await stow(runtime.url, [fixture('MR_small.dcm')])).status).toBe(200);
    runtime = await runtime.restart();
    expect(runtime.clock.offset).toBe(86_400_000);
  });

  it('starts from a saved clock it cannot use, warning and keeping the bad file aside', async () => {
    // The clock file is read only at start: what a bad advance used to save, found at the next start.
    writeFileSync(join(runtime.dataDir, 'clock.json'), JSON.stringify({ offsetMs: 8.64e21 }));
    runtime = await runtime.restart();
    expect(runtime.clock.offset).toBe(0);
    expect(readFileSync(join(runtime.dataDir, 'clock.json.rejected'), 'utf8')).toContain('8.64e+21');
    expect((await stow(runtime.url, [fixture(CT_SMALL.file)])).status).toBe(200);
  });

  it('refuses malformed clock requests', async () => {
    for (const body of ['{', '[]', 'null', '"+1d"', { advance: 5 }, { advance: '+1d', to: '2030-01-01' }, { advnce: '+1d' }, { to: 'someday' }, { advance: '-3d' }]) {
      const response = await admin('clock', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect((await admin('clock', {}, 'DELETE')).status).toBe(405);
  });

  it('answers 413 to a 64 MB body without reading it into memory, and changes nothing', async () => {
    const before = runtime.clock.offset;
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const huge = Readable.from((function* () {
      yield Buffer.from('{"advance":"+1d"');
      for (let i = 0; i < 64; i++) yield chunk;
      yield Buffer.from('}');
    })());
    const response = await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: huge, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(413);
    expect(runtime.clock.offset).toBe(before);
  });

  it('refuses a transition to a storage class a lifecycle rule cannot reach; WADO and /health keep working', async () => {
    // (GLACIER_IR is a lifecycle target in S3, and the local S3 simulates it: not refused.)
    for (const storageClass of ['GARBAGE', 'STANDARD', 'glacier', 'REDUCED_REDUNDANCY', '']) {
      const response = await admin('s3/transition', { key: CT_KEY, storageClass });
      expect(response.status, storageClass).toBe(400);
    }
    expect((await admin('s3/transition', { bucket: '../other', key: CT_KEY, storageClass: 'GLACIER' })).status).toBe(400);
    expect((await admin('s3/transition', { key: 'x'.repeat(1025), storageClass: 'GLACIER' })).status).toBe(400);
    expect((await admin('s3/transition', { key: 'no/such/object', storageClass: 'GLACIER' })).status).toBe(404);
    expect(runtime.events.deliveries.some((d) => d.detailType === 'Object Storage Class Changed')).toBe(false);
    await expectServing();
  });

  it('refuses an invalid storage class on PutObject and on an in-place CopyObject, as S3 does, keeping the object readable', async () => {
    const s3 = s3For(runtime);
    const Bucket = runtime.names.bucket('archive');
    await s3.send(new PutObjectCommand({ Bucket, Key: 'plain.bin', Body: Buffer.from('plain') }));
    const refusals = await Promise.all([
      s3.send(new PutObjectCommand({ Bucket, Key: 'other.bin', Body: Buffer.from('x'), StorageClass: 'GARBAGE' as StorageClass })).catch((e: unknown) => e),
      s3.send(new CopyObjectCommand({ Bucket, Key: 'plain.bin', CopySource: `${Bucket}/plain.bin`, StorageClass: 'GARBAGE' as StorageClass })).catch((e: unknown) => e),
    ]);
    for (const refusal of refusals) expect((refusal as S3ServiceException).name).toBe('InvalidStorageClass');
    const read = await s3.send(new GetObjectCommand({ Bucket, Key: 'plain.bin' }));
    expect(await read.Body!.transformToString()).toBe('plain');
  });

  it('refuses DeleteObjects of more than 1,000 keys, deleting none of them', async () => {
    const s3 = s3For(runtime);
    const Bucket = runtime.names.bucket('archive');
    await s3.send(new PutObjectCommand({ Bucket, Key: 'keep.bin', Body: Buffer.from('keep') }));
    const Objects = [{ Key: 'keep.bin' }, ...Array.from({ length: 1000 }, (_, i) => ({ Key: `absent/${i}` }))];
    const refused = await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects } })).catch((e: unknown) => e);
    expect((refused as S3ServiceException).name).toBe('MalformedXML');
    const kept = await s3.send(new GetObjectCommand({ Bucket, Key: 'keep.bin' }));
    expect(await kept.Body!.transformToString()).toBe('keep');
  });

  it('refuses RestoreObject with an unknown tier or an expiry past year 9999', async () => {
    const s3 = s3For(runtime);
    const Bucket = runtime.names.bucket('archive');
    await s3.send(new PutObjectCommand({ Bucket, Key: 'cold.bin', Body: Buffer.from('c'), StorageClass: 'GLACIER' }));
    const tier = await s3.send(new RestoreObjectCommand({ Bucket, Key: 'cold.bin', RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Fast' as 'Bulk' } } })).catch((e: unknown) => e);
    expect((tier as S3ServiceException).$metadata.httpStatusCode).toBe(400);
    const days = await s3.send(new RestoreObjectCommand({ Bucket, Key: 'cold.bin', RestoreRequest: { Days: 2_000_000_000 } })).catch((e: unknown) => e);
    expect((days as S3ServiceException).$metadata.httpStatusCode).toBe(400);
    // Nothing was started: a valid request is the first, not a 409 RestoreAlreadyInProgress.
    const accepted = await s3.send(new RestoreObjectCommand({ Bucket, Key: 'cold.bin', RestoreRequest: { Days: 1 } }));
    expect(accepted.$metadata.httpStatusCode).toBe(202);
  });

  it('refuses faults that are not S3 errors and keeps reads working', async () => {
    const prefix = CT_KEY.split('/instances/')[0];
    for (const body of [
      { keyPrefix: prefix, status: 200 },
      { keyPrefix: prefix, status: 503.5 },
      { keyPrefix: prefix, code: '<Error/>' },
      { keyPrefix: prefix, remaining: 0 },
      { keyPrefix: prefix, remaining: -1 },
      { keyPrefix: 42 },
      { keyPrefix: prefix, bucket: 'nope' },
      { keyPrefix: prefix, extra: true },
    ]) {
      expect((await admin('s3/faults', body)).status, JSON.stringify(body)).toBe(400);
    }
    await expectServing();
  });

  it('bounds the number of faults at once', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 101; i++) statuses.push((await admin('s3/faults', { keyPrefix: `nothing-here/${i}/` })).status);
    expect(statuses.slice(0, 100).every((s) => s === 200)).toBe(true);
    expect(statuses[100]).toBe(409);
    expect((await admin('s3/faults', undefined, 'DELETE')).status).toBe(200);
    expect((await admin('s3/faults', { keyPrefix: 'nothing-here/' })).status).toBe(200);
    expect((await admin('s3/faults', undefined, 'DELETE')).status).toBe(200);
  });

  it('serves recent events and refuses other methods on them', async () => {
    expect((await fetch(`${runtime.url}/_local/events`)).status).toBe(200);
    const refused = await admin('events', {});
    expect(refused.status).toBe(405);
    expect(refused.headers.get('allow')).toBe('GET');
  });
});
