/**
 * A streamed part's staging object carries the tag the archive bucket's lifecycle rule
 * `staging-parts-left-behind` expires after a day (infra/constructs/object-store.ts): a crash
 * between its upload and the end of its request must not leave it current for good. Both shapes
 * the upload takes — one PutObject, and a multipart upload above one part — are checked through
 * the local S3, which keeps x-amz-tagging as S3 does.
 */
import { Readable } from 'node:stream';
import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3For } from '#test/helpers/aws.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';
import { STAGED_PART_TAG, stagingObjectKey } from '#core/index-keys.ts';
import { PART_BYTES } from '#adapters/ingest/staging-upload.ts';

describe('Staging objects of streamed parts', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime();
  }, 120_000);
  afterAll(async () => {
    await runtime?.dispose();
  });

  it.each([
    ['one PutObject', 1024],
    ['a multipart upload', PART_BYTES + 1024 * 1024],
  ])('are written with the tag their expiry rule filters on (%s)', { timeout: 60_000 }, async (_, size) => {
    const { uploadStagedObject } = await import('#adapters/ingest/staging-upload.ts');
    const key = stagingObjectKey(TEST_TENANT, `tag-check-${size}`);
    await uploadStagedObject(key, Readable.from([Buffer.alloc(size, 7)]));
    const { TagSet } = await s3For(runtime).send(new GetObjectTaggingCommand({ Bucket: runtime.names.bucket('archive'), Key: key }));
    expect(TagSet).toEqual([{ Key: STAGED_PART_TAG.key, Value: STAGED_PART_TAG.value }]);
  });
});
