/**
 * ListObjectsV2 beyond s3rver's 1,000-entry answer: the fidelity layer pages through s3rver
 * before sorting (infra/local/s3/ordered-listing.ts). Before, a bucket of more than 1,000 objects
 * listed only the first 1,000 of s3rver's walk, and the index rebuild and the orphan sweep never
 * saw the rest.
 */
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3For } from '#test/helpers/aws.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

describe('Local S3 listings of more than 1,000 objects', () => {
  let runtime: TestRuntime;
  let s3: S3Client;
  let Bucket: string;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    s3 = s3For(runtime);
    Bucket = runtime.names.bucket('exports');
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('lists every key, in order, page by page', async () => {
    const keys = [...Array.from({ length: 1003 }, (_, n) => `a/${String(n).padStart(4, '0')}`), 'b/1', 'b/2'];
    for (let from = 0; from < keys.length; from += 25) {
      await Promise.all(keys.slice(from, from + 25).map((Key) => s3.send(new PutObjectCommand({ Bucket, Key, Body: 'x' }))));
    }
    const listed: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket, ...(token ? { ContinuationToken: token } : {}) }));
      listed.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    expect(listed).toEqual([...keys].sort());
    const bOnly = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'b/' }));
    expect(bOnly.Contents?.map((o) => o.Key)).toEqual(['b/1', 'b/2']);
  }, 180_000);
});
