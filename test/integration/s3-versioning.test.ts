/**
 * S3 versioning in the local S3 (bucket versioning Enabled, as the archive bucket is in AWS),
 * driven through the AWS SDK v3 client: version ids, delete markers, ListObjectVersions,
 * reads and deletes by versionId, Object Lock, tags, classes and restores per version, and
 * versions kept whole across a crash in the middle of a byte move.
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  RestoreObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3For } from '#test/helpers/aws.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { sendUpstream } from '#infra/local/s3/upstream.ts';
import { internalHeaders } from '#infra/local/s3/internal-headers.ts';

const HOUR = 3_600_000;

async function errorOf(promise: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException) return error;
    throw error;
  }
  throw new Error('expected the S3 call to fail');
}

describe('Local S3 versioning (a bucket with versioning Enabled)', () => {
  let runtime: TestRuntime;
  let s3: S3Client;
  let Bucket: string;
  const text = async (Key: string, VersionId?: string) => (await s3.send(new GetObjectCommand({ Bucket, Key, VersionId }))).Body!.transformToString();

  beforeAll(async () => {
    runtime = await startTestRuntime();
    s3 = s3For(runtime);
    Bucket = runtime.names.bucket('archive');
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('gives every write its own version id and reads any version by it', async () => {
    const first = await s3.send(new PutObjectCommand({ Bucket, Key: 'v/doc', Body: 'one' }));
    const second = await s3.send(new PutObjectCommand({ Bucket, Key: 'v/doc', Body: 'two' }));
    expect(first.VersionId).toMatch(/^[\w-]{32}$/);
    expect(second.VersionId).not.toBe(first.VersionId);
    expect(await text('v/doc')).toBe('two');
    expect(await text('v/doc', first.VersionId)).toBe('one');
    expect(await text('v/doc', second.VersionId)).toBe('two');
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'v/doc', VersionId: first.VersionId }));
    expect([head.VersionId, head.ContentLength]).toEqual([first.VersionId, 3]);
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'v/doc' }))).VersionId).toBe(second.VersionId);
    const unknown = await errorOf(s3.send(new GetObjectCommand({ Bucket, Key: 'v/doc', VersionId: 'no-such-version-id-at-all-000000' })));
    expect([unknown.$metadata.httpStatusCode, unknown.name]).toEqual([404, 'NoSuchVersion']);
  });

  it('adds a delete marker on a plain DELETE: the key answers 404 with x-amz-delete-marker and no longer lists; its bytes stay', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'm/gone', Body: 'still here' }));
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'm/gone' }));
    expect(deleted.DeleteMarker).toBe(true);
    expect(deleted.VersionId).toBeTruthy();

    const get = await errorOf(s3.send(new GetObjectCommand({ Bucket, Key: 'm/gone' })));
    expect([get.$metadata.httpStatusCode, get.name]).toEqual([404, 'NoSuchKey']);
    const head = await fetch(`${runtime.s3.endpoint}/${Bucket}/m/gone`, { method: 'HEAD' });
    expect([head.status, head.headers.get('x-amz-delete-marker'), head.headers.get('x-amz-version-id')]).toEqual([404, 'true', deleted.VersionId]);
    const marker = await fetch(`${runtime.s3.endpoint}/${Bucket}/m/gone?versionId=${deleted.VersionId}`);
    expect([marker.status, marker.headers.get('x-amz-delete-marker')]).toEqual([405, 'true']);
    expect((await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'm/' }))).Contents ?? []).toEqual([]);
    expect(await text('m/gone', put.VersionId)).toBe('still here');

    // Removing the marker (DELETE by its version id) brings the object back.
    const removed = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'm/gone', VersionId: deleted.VersionId }));
    expect([removed.DeleteMarker, removed.VersionId]).toEqual([true, deleted.VersionId]);
    expect(await text('m/gone')).toBe('still here');
    expect((await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'm/' }))).Contents?.map((o) => o.Key)).toEqual(['m/gone']);
  });

  it('removes a version for good on DELETE with its id; the next newest becomes current', async () => {
    const old = await s3.send(new PutObjectCommand({ Bucket, Key: 'p/doc', Body: 'old' }));
    const current = await s3.send(new PutObjectCommand({ Bucket, Key: 'p/doc', Body: 'new' }));
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'p/doc', VersionId: current.VersionId }));
    expect(await text('p/doc')).toBe('old');
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'p/doc' }))).VersionId).toBe(old.VersionId);
    expect((await errorOf(s3.send(new GetObjectCommand({ Bucket, Key: 'p/doc', VersionId: current.VersionId })))).name).toBe('NoSuchVersion');
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'p/doc', VersionId: old.VersionId }));
    expect((await errorOf(s3.send(new HeadObjectCommand({ Bucket, Key: 'p/doc' })))).$metadata.httpStatusCode).toBe(404);
    expect((await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'p/' }))).Versions ?? []).toEqual([]);
  });

  it('lists versions and delete markers as AWS does: keys in order, newest first, paginated by key and version markers', async () => {
    const a1 = await s3.send(new PutObjectCommand({ Bucket, Key: 'l/a', Body: 'a1' }));
    const a2 = await s3.send(new PutObjectCommand({ Bucket, Key: 'l/a', Body: 'a22' }));
    const b1 = await s3.send(new PutObjectCommand({ Bucket, Key: 'l/b', Body: 'b1', StorageClass: 'STANDARD_IA' }));
    const bMarker = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'l/b' }));
    const c1 = await s3.send(new PutObjectCommand({ Bucket, Key: 'l/c', Body: 'c' }));

    const all = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'l/' }));
    expect(all.IsTruncated).toBe(false);
    expect(all.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest, v.Size, v.StorageClass])).toEqual([
      ['l/a', a2.VersionId, true, 3, 'STANDARD'],
      ['l/a', a1.VersionId, false, 2, 'STANDARD'],
      ['l/b', b1.VersionId, false, 2, 'STANDARD_IA'],
      ['l/c', c1.VersionId, true, 1, 'STANDARD'],
    ]);
    expect(all.DeleteMarkers?.map((m) => [m.Key, m.VersionId, m.IsLatest])).toEqual([['l/b', bMarker.VersionId, true]]);
    expect(all.Versions?.[0]?.ETag).toMatch(/^"[0-9a-f]{32}"$/);

    const pages: string[][] = [];
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'l/', MaxKeys: 2, ...markers }));
      pages.push([...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => v.VersionId!));
      if (!page.IsTruncated) break;
      markers = { KeyMarker: page.NextKeyMarker!, VersionIdMarker: page.NextVersionIdMarker! };
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().sort()).toEqual([a1, a2, b1, bMarker, c1].map((v) => v.VersionId!).sort());
    const second = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'l/', MaxKeys: 2 }));
    expect([second.IsTruncated, second.NextKeyMarker, second.NextVersionIdMarker]).toEqual([true, 'l/a', a1.VersionId]);
  });

  it('keeps legal hold and retention per version: no VersionId means the current one, and a locked version refuses DELETE by id', async () => {
    const held = await s3.send(new PutObjectCommand({ Bucket, Key: 'h/doc', Body: 'held' }));
    await s3.send(new PutObjectLegalHoldCommand({ Bucket, Key: 'h/doc', LegalHold: { Status: 'ON' } }));
    const newer = await s3.send(new PutObjectCommand({ Bucket, Key: 'h/doc', Body: 'newer' }));
    expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket, Key: 'h/doc', VersionId: held.VersionId }))).LegalHold?.Status).toBe('ON');
    expect((await errorOf(s3.send(new GetObjectLegalHoldCommand({ Bucket, Key: 'h/doc' })))).name).toBe('NoSuchObjectLockConfiguration');
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'h/doc', VersionId: held.VersionId }))).ObjectLockLegalHoldStatus).toBe('ON');

    const refused = await errorOf(s3.send(new DeleteObjectCommand({ Bucket, Key: 'h/doc', VersionId: held.VersionId })));
    expect([refused.$metadata.httpStatusCode, refused.name]).toEqual([403, 'AccessDenied']);
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'h/doc', VersionId: newer.VersionId })); // not locked
    const batch = await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'h/doc', VersionId: held.VersionId }] } }));
    expect(batch.Errors?.map((e) => [e.Key, e.VersionId, e.Code])).toEqual([['h/doc', held.VersionId, 'AccessDenied']]);

    const until = new Date(runtime.clock.now().getTime() + 2 * 24 * HOUR);
    await s3.send(new PutObjectRetentionCommand({ Bucket, Key: 'h/doc', VersionId: held.VersionId, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: until } }));
    await s3.send(new PutObjectLegalHoldCommand({ Bucket, Key: 'h/doc', VersionId: held.VersionId, LegalHold: { Status: 'OFF' } }));
    expect((await errorOf(s3.send(new DeleteObjectCommand({ Bucket, Key: 'h/doc', VersionId: held.VersionId })))).name).toBe('AccessDenied');
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'h/doc', VersionId: held.VersionId, BypassGovernanceRetention: true }));
    expect((await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'h/' }))).Versions ?? []).toEqual([]);
  });

  it('answers CopyObject and multipart uploads with the new version id, and copies an old version back as current', async () => {
    const old = await s3.send(new PutObjectCommand({ Bucket, Key: 'c/doc', Body: 'original' }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'c/doc', Body: 'replaced' }));
    const copy = await s3.send(new CopyObjectCommand({ Bucket, Key: 'c/doc', CopySource: `${Bucket}/c/doc?versionId=${old.VersionId}` }));
    expect(copy.VersionId).toBeTruthy();
    expect(copy.CopySourceVersionId).toBe(old.VersionId);
    expect(await text('c/doc')).toBe('original');
    expect((await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'c/doc' }))).Versions).toHaveLength(3);

    const body = Buffer.alloc(6 * 1024 * 1024, 3);
    const upload = await new Upload({ client: s3, params: { Bucket, Key: 'c/doc', Body: body }, partSize: 5 * 1024 * 1024 }).done();
    expect(upload.VersionId).toBeTruthy();
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'c/doc' }))).ContentLength).toBe(body.length);
    expect(await text('c/doc', copy.VersionId)).toBe('original');
  });

  it('keeps tags, storage class and restores per version', async () => {
    const cold = await s3.send(new PutObjectCommand({ Bucket, Key: 't/doc', Body: 'cold', StorageClass: 'GLACIER', Tagging: 'tier=cold' }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 't/doc', Body: 'warm', Tagging: 'tier=warm' }));
    await s3.send(new PutObjectTaggingCommand({ Bucket, Key: 't/doc', VersionId: cold.VersionId, Tagging: { TagSet: [{ Key: 'tier', Value: 'frozen' }] } }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 't/doc' }))).TagSet).toEqual([{ Key: 'tier', Value: 'warm' }]);
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 't/doc', VersionId: cold.VersionId }))).TagSet).toEqual([{ Key: 'tier', Value: 'frozen' }]);

    expect(await text('t/doc')).toBe('warm');
    expect((await errorOf(s3.send(new GetObjectCommand({ Bucket, Key: 't/doc', VersionId: cold.VersionId })))).name).toBe('InvalidObjectState');
    await s3.send(new RestoreObjectCommand({ Bucket, Key: 't/doc', VersionId: cold.VersionId, RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Expedited' } } }));
    runtime.clock.advance(5 * 60_000 + 1000);
    expect(await text('t/doc', cold.VersionId)).toBe('cold');
    const restoredHead = await s3.send(new HeadObjectCommand({ Bucket, Key: 't/doc', VersionId: cold.VersionId }));
    expect([restoredHead.StorageClass, restoredHead.Restore?.startsWith('ongoing-request="false"')]).toEqual(['GLACIER', true]);
  });

  it('emits Object Deleted as "Delete Marker Created" for a plain DELETE and "Permanently Deleted" for one by version id', async () => {
    const events: { type: string; detail: Record<string, unknown> }[] = [];
    const publish = runtime.s3.proxy.options.publish;
    (runtime.s3.proxy.options as { publish: typeof publish }).publish = (event) => {
      events.push({ type: event['detail-type'], detail: event.detail });
      publish(event);
    };
    try {
      const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'e/doc', Body: 'x' }));
      const marker = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'e/doc' }));
      await s3.send(new DeleteObjectCommand({ Bucket, Key: 'e/doc', VersionId: put.VersionId }));
      const deleted = events.filter((e) => e.type === 'Object Deleted').map((e) => [e.detail['deletion-type'], (e.detail.object as { 'version-id': string })['version-id']]);
      expect(deleted).toEqual([['Delete Marker Created', marker.VersionId], ['Permanently Deleted', put.VersionId]]);
      const created = events.find((e) => e.type === 'Object Created')!;
      expect((created.detail.object as { 'version-id': string })['version-id']).toBe(put.VersionId);
    } finally {
      (runtime.s3.proxy.options as { publish: typeof publish }).publish = publish;
    }
  });

  it('puts the current version back after a crash between overwriting its bytes and recording the new version', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'x/doc', Body: 'acknowledged' }));
    const proxy = runtime.s3.proxy;
    // What a kill -9 inside an overwrite leaves: the journal entry, the current bytes set aside,
    // and s3rver's key already holding bytes no version records.
    proxy.options.state.moves.set(Bucket, 'x/doc', true);
    await proxy.bytes.keepAside(Bucket, 'x/doc', { versionId: put.VersionId! });
    const torn = await sendUpstream(proxy.options.upstream, { method: 'PUT', path: `/${Bucket}/x/doc`, headers: internalHeaders(), body: Buffer.from('never answered') });
    torn.resume();
    expect(torn.statusCode).toBe(200);

    runtime = await runtime.restart();
    s3 = s3For(runtime);
    expect(await text('x/doc')).toBe('acknowledged');
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'x/' }));
    expect(versions.Versions?.map((v) => v.VersionId)).toEqual([put.VersionId]);
    expect(runtime.s3.proxy.options.state.moves.list()).toEqual([]);
  });
});
