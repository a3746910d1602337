/**
 * The local S3 after a crash: a PUT cut short by kill -9 never becomes an object (S3 PUTs are
 * atomic), and listings of any length page through ListObjectsV2 as in AWS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ListObjectsV2Command, paginateListObjectsV2, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3For } from '#test/helpers/aws.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

describe('Local S3: interrupted PUTs and long listings', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('pages through ListObjectsV2 with continuation tokens and StartAfter', async () => {
    const s3 = s3For(runtime);
    const Bucket = runtime.names.bucket('archive');
    const keys = Array.from({ length: 7 }, (_, i) => `listing/${String(i).padStart(2, '0')}&<x>`);
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
    const pages: string[][] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 3 }, { Bucket, Prefix: 'listing/' })) pages.push((page.Contents ?? []).map((o) => o.Key!));
    expect(pages).toEqual([keys.slice(0, 3), keys.slice(3, 6), keys.slice(6)]);
    const after = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'listing/', StartAfter: keys[4], MaxKeys: 10 }));
    expect(after.Contents?.map((o) => o.Key)).toEqual(keys.slice(5));
    expect(after.KeyCount).toBe(2);
    expect(after.IsTruncated).toBe(false);
  });

  it('forgets at start an object whose PUT was cut short, and keeps the complete ones', async () => {
    const s3 = s3For(runtime);
    const Bucket = runtime.names.bucket('archive');
    await s3.send(new PutObjectCommand({ Bucket, Key: 'crash/complete', Body: 'whole' }));
    // What s3rver leaves when killed after the bytes and before its metadata file.
    const cut = join(runtime.dataDir, 's3', Bucket, 'crash', 'cut._S3rver_object');
    mkdirSync(dirname(cut), { recursive: true });
    writeFileSync(cut, 'half of it');
    writeFileSync(join(runtime.dataDir, 's3', Bucket, 'crash', 'torn._S3rver_object'), 'bytes');
    writeFileSync(join(runtime.dataDir, 's3', Bucket, 'crash', 'torn._S3rver_metadata.json'), '{"content-ty');

    runtime = await runtime.restart();
    const listed = await s3For(runtime).send(new ListObjectsV2Command({ Bucket, Prefix: 'crash/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['crash/complete']);
  });
});
