/**
 * Copy back of an object over CopyObject's 5 GB limit (docs/lifecycle.md, "Copy back"): the
 * adapter copies it as a multipart upload of UploadPartCopy ranges, giving the copy the object's
 * metadata, content type, tags and the warmer class (a multipart upload copies none of them).
 * The 5 GB limit is lowered to 8 MiB here so that a 12 MiB object takes the same path in 3 parts.
 */
import { randomBytes, createHash } from 'node:crypto';
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyToWarmerClass, finishCopyBack, REWARMED_FROM_TAG } from '#adapters/lifecycle/copy-back.ts';
import { s3For } from '#test/helpers/aws.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

const MiB = 1024 * 1024;

describe('Copy back in parts', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('copies an object above the single-copy limit in parts, in the warmer class, with its metadata and tags', { timeout: 120_000 }, async () => {
    const s3 = s3For(runtime);
    const Bucket = runtime.names.bucket('archive');
    const Key = 'default/parts/2.25.89001/object.dcm';
    const bytes = randomBytes(12 * MiB);
    const put = await s3.send(new PutObjectCommand({ Bucket, Key, Body: bytes, ContentType: 'application/dicom', Metadata: { 'strata-sha256': 'abc' }, Tagging: 'strata-policy-class=clinical' }));
    const tags = { 'strata-policy-class': 'clinical', 'strata-policy-version': '7' };

    const archived = await copyToWarmerClass(Key, 'STANDARD_IA', tags, { singleCopyLimit: 8 * MiB, partBytes: 5 * MiB });
    expect(archived).toBe(put.VersionId);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key }));
    expect(head.StorageClass).toBe('STANDARD_IA');
    expect(head.ContentLength).toBe(bytes.length);
    expect(head.ContentType).toBe('application/dicom');
    expect(head.Metadata).toMatchObject({ 'strata-sha256': 'abc' });
    const copied = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToByteArray());
    expect(createHash('sha256').update(copied).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    const tagsOf = async () => Object.fromEntries(((await s3.send(new GetObjectTaggingCommand({ Bucket, Key }))).TagSet ?? []).map((t) => [t.Key!, t.Value!]));
    // Until the archived version is deleted, the copy names it (a rerun resumes from there).
    expect(await tagsOf()).toEqual({ ...tags, [REWARMED_FROM_TAG]: put.VersionId });

    await finishCopyBack(Key, archived!, await tagsOf());
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: Key }));
    expect((versions.Versions ?? []).map((v) => v.StorageClass)).toEqual(['STANDARD_IA']);
    expect(await tagsOf()).toEqual(tags);
    // Finishing again (a rerun after a crash past the delete) changes nothing.
    await finishCopyBack(Key, archived!, await tagsOf());
    expect((await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: Key }))).Versions).toHaveLength(1);
  });
});
