/**
 * The presigned path's indexer (services/ingest/index-uploaded-object.ts) against the local S3:
 * a 50 MB synthetic multi-frame instance uploaded in parts through presigned UploadPart URLs (as
 * a hospital's client would, straight to S3), then indexed from its header alone — ranged reads
 * counted, under 1 MB — copied into the archive layout and served by WADO-RS byte for byte.
 */
import { randomUUID } from 'node:crypto';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagingObjectKey } from '#core/index-keys.ts';
import { indexUploadedObject, type RangedReads } from '#services/ingest/index-uploaded-object.ts';
import { s3For } from '#test/helpers/aws.ts';
import { multipartBodies, sha256 } from '#test/helpers/dicom.ts';
import { largeInstance } from '#test/helpers/large-instances.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';

const PART = 8 * 1024 * 1024;
const MB = 1024 * 1024;

describe('presigned uploads: the indexer', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  /** Uploads `chunks` to `key` in PART-sized parts through presigned URLs; the bytes are never held whole. */
  async function presignedUpload(key: string, chunks: AsyncIterable<Buffer>): Promise<void> {
    const s3 = s3For(runtime);
    const Bucket = runtime.names.bucket('archive');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: 'application/dicom' }));
    const parts: { ETag: string; PartNumber: number }[] = [];
    let held: Buffer[] = [];
    let size = 0;
    const send = async () => {
      const PartNumber = parts.length + 1;
      const url = await getSignedUrl(s3, new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber }), { expiresIn: 900 });
      const response = await fetch(url, { method: 'PUT', body: Buffer.concat(held) });
      expect(response.status, await response.clone().text()).toBe(200);
      parts.push({ ETag: response.headers.get('etag')!, PartNumber });
      held = [];
      size = 0;
    };
    for await (const chunk of chunks) {
      held.push(chunk);
      size += chunk.length;
      if (size >= PART) await send();
    }
    if (size) await send();
    await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
  }

  const context = () => ({ tenant: TEST_TENANT, studyInUrl: undefined, serviceUrl: `${runtime.url}/dicom-web`, now: new Date() });

  it('indexes a 50 MB multi-frame instance from under 1 MB of ranged reads; WADO returns the identical bytes', { timeout: 300_000 }, async () => {
    const study = '2.25.917001';
    const instance = largeInstance(study, `${study}.1`, 0, 50 * MB);
    const key = stagingObjectKey(TEST_TENANT, randomUUID());
    await presignedUpload(key, instance.chunks());
    const uploaded = instance.sha256();

    const reads: RangedReads = { requests: 0, bytes: 0 };
    const before = process.memoryUsage();
    let peak = before.rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const result = await indexUploadedObject({ key, sha256: uploaded }, context(), reads);
    clearInterval(sampler);
    console.log(`indexer: ${reads.requests} ranged read(s), ${reads.bytes} bytes of ${instance.size}; RSS ${(before.rss / MB).toFixed(0)} → peak ${(peak / MB).toFixed(0)} MB`);

    expect(result.status).toBe(200);
    expect(reads.bytes).toBeLessThan(1 * MB);
    expect(reads.requests).toBeGreaterThanOrEqual(1);
    expect(peak - before.rss).toBeLessThan(48 * MB); // the 50 MB object never came into memory

    // The staging object is gone (copied into the archive layout); the instance is served whole.
    await expect(s3For(runtime).send(new HeadObjectCommand({ Bucket: runtime.names.bucket('archive'), Key: key }))).rejects.toThrow();
    const response = await fetch(`${runtime.dataPlaneUrl}/dicom-web/studies/${study}/series/${study}.1/instances/${instance.sop}`, {
      headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    expect(response.status).toBe(200);
    const [part] = multipartBodies(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!);
    expect(part!.body.length).toBe(instance.size);
    expect(sha256(part!.body)).toBe(uploaded);

    // Frames come from the positions recorded at indexing (one ranged read each).
    const frame = await fetch(`${runtime.url}/dicom-web/studies/${study}/series/${study}.1/instances/${instance.sop}/frames/2`, { headers: { Accept: 'multipart/related; type="application/octet-stream"' } });
    expect(frame.status).toBe(200);

    // The same upload again is the same instance: indexed as a duplicate, nothing doubles.
    const again = stagingObjectKey(TEST_TENANT, randomUUID());
    await presignedUpload(again, largeInstance(study, `${study}.1`, 0, 50 * MB).chunks());
    expect((await indexUploadedObject({ key: again, sha256: uploaded }, context())).status).toBe(200);
    const listed = (await (await fetch(`${runtime.url}/dicom-web/studies/${study}/instances`)).json()) as unknown[];
    expect(listed).toHaveLength(1);
  });

  it('refuses a truncated upload with a reason, and removes it', { timeout: 120_000 }, async () => {
    const study = '2.25.917002';
    const instance = largeInstance(study, `${study}.1`, 0, 4 * MB);
    const key = stagingObjectKey(TEST_TENANT, randomUUID());
    async function* firstHalf() {
      let sent = 0;
      for await (const chunk of instance.chunks()) {
        if (sent > 2 * MB) return;
        sent += chunk.length;
        yield chunk;
      }
    }
    await presignedUpload(key, firstHalf());
    const result = await indexUploadedObject({ key, sha256: 'a'.repeat(64) }, context());
    expect(result.status).toBe(409);
    expect(result.warnings.join(' ')).toMatch(/the upload is truncated/);
    await expect(s3For(runtime).send(new HeadObjectCommand({ Bucket: runtime.names.bucket('archive'), Key: key }))).rejects.toThrow();
  });
});
