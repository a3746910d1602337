/**
 * Presigned uploads end to end against the local runtime (docs/ingest.md): POST /dicom-web/uploads,
 * the parts PUT straight to the local S3 through the presigned URLs, the completion, S3's Object
 * Created event delivered by the local EventBridge to the indexer (which reads only the header,
 * ranged reads counted and recorded), the STOW-style report at GET /dicom-web/uploads/{id}, and
 * WADO-RS serving the bytes uploaded.
 */
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, ListObjectsV2Command, UploadPartCommand } from '@aws-sdk/client-s3';
import { randomBytes, randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPLOADS_PREFIX } from '#core/index-keys.ts';
import { s3Event } from '#infra/local/s3/s3-events.ts';
import { indexUploadedObject, noReads } from '#services/ingest/index-uploaded-object.ts';
import { s3For } from '#test/helpers/aws.ts';
import { fixture, multipartBodies, sha256 } from '#test/helpers/dicom.ts';
import { largeInstance, type LargeInstance } from '#test/helpers/large-instances.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

const MB = 1024 * 1024;

interface Created {
  id: string;
  location: string;
  files: { file: number; parts: number; partSize: number; partUrls: { partNumber: number; url: string }[]; moreParts: string; complete: string }[];
}

interface Report {
  status: string;
  counts: Record<string, number>;
  files: {
    file: number;
    status: string;
    sopInstanceUID?: string;
    studyInstanceUID?: string;
    retrieveUrl?: string;
    failureReason?: number;
    reason?: string;
    headerRead?: { requests: number; bytes: number };
    hashRead?: { requests: number; bytes: number };
  }[];
  response?: { status: number; body: Record<string, unknown> };
}

describe('presigned uploads through the routes and the Object Created event', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  const json = async <T,>(response: Response, status: number): Promise<T> => {
    const text = await response.text();
    expect(response.status, text).toBe(status);
    return JSON.parse(text) as T;
  };
  const create = async (files: { size: number; sha256?: string; name?: string }[]) =>
    json<Created>(await fetch(`${runtime.url}/dicom-web/uploads`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ files }) }), 201);
  const report = async (id: string) => json<Report>(await fetch(`${runtime.url}/dicom-web/uploads/${id}`), 200);

  /** PUTs `chunks` to the file's presigned part URLs (held one part at a time), then completes it. */
  async function upload(file: Created['files'][number], chunks: AsyncIterable<Buffer>): Promise<void> {
    const etags: string[] = [];
    let held: Buffer[] = [];
    let size = 0;
    const send = async () => {
      const part = file.partUrls[etags.length]!;
      const response = await fetch(part.url, { method: 'PUT', body: Buffer.concat(held) });
      expect(response.status, await response.clone().text()).toBe(200);
      etags.push(response.headers.get('etag')!);
      held = [];
      size = 0;
    };
    for await (const chunk of chunks) {
      held.push(chunk);
      size += chunk.length;
      if (size >= file.partSize) await send();
    }
    if (size) await send();
    expect(etags).toHaveLength(file.parts);
    const completed = await fetch(file.complete, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })) }) });
    expect(completed.status, await completed.clone().text()).toBe(200);
  }

  async function hashOf(instance: LargeInstance): Promise<string> {
    for await (const _ of instance.chunks());
    return instance.sha256();
  }

  async function* bytes(buffer: Buffer) {
    yield buffer;
  }

  const stagedKeys = async () =>
    (await s3For(runtime).send(new ListObjectsV2Command({ Bucket: runtime.names.bucket('archive'), Prefix: UPLOADS_PREFIX }))).Contents?.map((o) => o.Key) ?? [];

  it('stores a 50 MB multi-frame instance parsed from under 1 MB of ranged reads and hashed in one pass; WADO returns the identical bytes', { timeout: 300_000 }, async () => {
    const study = '2.25.917001';
    const instance = largeInstance(study, `${study}.1`, 0, 50 * MB);
    const declared = await hashOf(instance);
    const created = await create([{ size: instance.size, sha256: declared, name: 'big-ct.dcm' }]);
    expect(created.files[0]!.parts).toBe(Math.ceil(instance.size / (8 * MB)));
    expect(created.files[0]!.partUrls).toHaveLength(created.files[0]!.parts);
    // No checksum of an empty body signed into the URLs: S3 would refuse every real part sent to them.
    for (const { url } of created.files[0]!.partUrls) expect([...new URL(url).searchParams.keys()].filter((name) => name.startsWith('x-amz-checksum') || name.startsWith('x-amz-sdk-checksum'))).toEqual([]);
    expect((await report(created.id)).files[0]).toMatchObject({ status: 'pending', stage: 'uploading' });

    // Every GET of the staged object, seen on the wire where the S3 endpoint receives it (the
    // functions run in worker threads), apart from the indexer's own counts.
    const gets: (string | undefined)[] = [];
    const s3Port = Number(new URL(runtime.s3.endpoint).port);
    const onRequest = ({ request }: { request: IncomingMessage }) => {
      // At the S3 endpoint the functions use (not the local S3's own calls to its back end).
      if (request.method === 'GET' && request.socket.localPort === s3Port && request.url?.includes(`/${created.id}/1.dcm`)) gets.push(request.headers.range);
    };
    subscribe('http.server.request.start', onRequest as (message: unknown) => void);
    try {
      await upload(created.files[0]!, instance.chunks());
      await runtime.events.idle();
    } finally {
      unsubscribe('http.server.request.start', onRequest as (message: unknown) => void);
    }
    const wireBytes = gets.reduce((total, range) => {
      const match = /^bytes=(\d+)-(\d+)$/.exec(range ?? '');
      return total + (match ? Number(match[2]) - Number(match[1]) + 1 : instance.size); // a GET without a range reads it all
    }, 0);

    const result = await report(created.id);
    expect(result.status).toBe('done');
    const [file] = result.files;
    expect(file).toMatchObject({ status: 'stored', sopInstanceUID: instance.sop, studyInstanceUID: study });
    expect(file!.retrieveUrl).toMatch(new RegExp(`/dicom-web/studies/${study}/series/${study}.1/instances/${instance.sop}$`));
    expect(result.response?.status).toBe(200);
    // The indexer parsed the header only, and read the whole object once more for its SHA-256, in
    // 8 MiB ranges: counted by the indexer, recorded on the upload, and seen on the wire.
    console.log(`indexer: parsed from ${file!.headerRead!.requests} ranged read(s), ${file!.headerRead!.bytes} bytes of ${instance.size}; hashed from ${file!.hashRead!.requests} ranged read(s), ${file!.hashRead!.bytes} bytes`);
    expect(file!.headerRead!.requests).toBeGreaterThanOrEqual(1);
    expect(file!.headerRead!.bytes).toBeGreaterThan(0);
    expect(file!.headerRead!.bytes).toBeLessThan(1 * MB);
    expect(file!.hashRead).toEqual({ requests: Math.ceil(instance.size / (8 * MB)), bytes: instance.size });
    expect(gets.length).toBe(file!.headerRead!.requests + file!.hashRead!.requests);
    expect(wireBytes).toBe(file!.headerRead!.bytes + file!.hashRead!.bytes);

    // The staging object is gone (copied into the archive layout); the instance is served whole.
    expect(await stagedKeys()).toEqual([]);
    const response = await fetch(`${runtime.dataPlaneUrl}/dicom-web/studies/${study}/series/${study}.1/instances/${instance.sop}`, {
      headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    expect(response.status).toBe(200);
    const [part] = multipartBodies(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!);
    expect(part!.body.length).toBe(instance.size);
    expect(sha256(part!.body)).toBe(declared);
    // Frames come from the positions recorded at indexing (one ranged read each).
    const frame = await fetch(`${runtime.url}/dicom-web/studies/${study}/series/${study}.1/instances/${instance.sop}/frames/2`, { headers: { Accept: 'multipart/related; type="application/octet-stream"' } });
    expect(frame.status).toBe(200);

    // The same event again (EventBridge delivers at least once) indexes nothing twice.
    const key = `${UPLOADS_PREFIX}default/${created.id}/1.dcm`;
    const deliveries = runtime.events.deliveries.length;
    runtime.events.publish(s3Event('Object Created', runtime.names.bucket('archive'), { key, size: instance.size }, new Date(), 'us-east-1'));
    await runtime.events.idle();
    // Delivered and done; nothing deleted again (no Object Deleted event for a key already gone).
    expect(runtime.events.deliveries.slice(deliveries)).toMatchObject([{ rule: 'presigned-uploads', ok: true }]);
    const listed = (await (await fetch(`${runtime.url}/dicom-web/studies/${study}/instances`)).json()) as unknown[];
    expect(listed).toHaveLength(1);
    expect(await report(created.id)).toEqual(result);
  });

  it('indexes once when the event comes twice at once, and counts the study once', { timeout: 120_000 }, async () => {
    const study = '2.25.917003';
    const instance = largeInstance(study, `${study}.1`, 0, 6 * MB);
    const created = await create([{ size: instance.size, sha256: await hashOf(instance) }]);
    const key = `${UPLOADS_PREFIX}default/${created.id}/1.dcm`;
    const deliveries = runtime.events.deliveries.length;
    await upload(created.files[0]!, instance.chunks());
    // A duplicate of the completion's event, racing the original.
    runtime.events.publish(s3Event('Object Created', runtime.names.bucket('archive'), { key, size: instance.size }, new Date(), 'us-east-1'));
    await runtime.events.idle();
    expect(runtime.events.deliveries.slice(deliveries).filter((d) => d.rule === 'presigned-uploads')).toMatchObject([{ ok: true }, { ok: true }]);
    expect((await report(created.id)).files[0]).toMatchObject({ status: 'stored', sopInstanceUID: instance.sop });
    const studies = (await (await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=${study}`)).json()) as Record<string, { Value: unknown[] }>[];
    expect(studies).toHaveLength(1);
    expect(studies[0]!['00201208']!.Value).toEqual([1]); // NumberOfStudyRelatedInstances
    expect(await stagedKeys()).toEqual([]);
  });

  it('refuses a file that is not DICOM with a reason, and stores the other file of the upload', { timeout: 120_000 }, async () => {
    const study = '2.25.917002';
    const instance = largeInstance(study, `${study}.1`, 0, 6 * MB);
    const junk = randomBytes(6 * MB);
    const created = await create([
      { size: junk.length, sha256: sha256(junk), name: 'notes.pdf' },
      { size: instance.size, sha256: await hashOf(instance), name: 'ct.dcm' },
    ]);
    await upload(created.files[0]!, bytes(junk));
    await upload(created.files[1]!, instance.chunks());
    await runtime.events.idle();
    const result = await report(created.id);
    expect(result.counts).toMatchObject({ stored: 1, refused: 1, pending: 0 });
    expect(result.files[0]).toMatchObject({ file: 1, status: 'refused', failureReason: 0xc000 });
    expect(result.files[0]!.reason).toMatch(/DICM|Part 10|preamble/i);
    expect(result.files[1]).toMatchObject({ file: 2, status: 'stored', sopInstanceUID: instance.sop });
    expect(result.response?.status).toBe(202); // PS3.18: some stored, some failed
    expect(await stagedKeys()).toEqual([]);
  });

  it('stores compressed instances as STOW does: no warning about fragments it has not read', { timeout: 120_000 }, async () => {
    const files = ['JPGExtended.dcm', 'MR_small_RLE.dcm'].map((name) => fixture(name));
    const created = await create(files.map((file, i) => ({ size: file.length, sha256: sha256(file), name: `compressed-${i}.dcm` })));
    for (const [i, file] of files.entries()) await upload(created.files[i]!, bytes(file));
    await runtime.events.idle();
    const result = await report(created.id);
    expect(result.files.map((f) => f.status)).toEqual(['stored', 'stored']);
    expect(result.response?.status).toBe(200);
  });

  it('refuses other bytes uploaded under a stored instance\'s SHA-256 (its UIDs or others) and keeps the stored bytes', { timeout: 120_000 }, async () => {
    const study = '2.25.917005';
    const original = largeInstance(study, `${study}.1`, 0, 6 * MB);
    const declared = await hashOf(original);
    const first = await create([{ size: original.size, sha256: declared }]);
    await upload(first.files[0]!, original.chunks());
    await runtime.events.idle();
    expect((await report(first.id)).files[0]).toMatchObject({ status: 'stored', sopInstanceUID: original.sop });

    // Another file with the original's UIDs (another size, so other bytes) and one with a UID of its
    // own, each declared with the original's hash: both keys would be taken as already holding them.
    const sameUids = largeInstance(study, `${study}.1`, 0, 7 * MB);
    const otherUid = largeInstance(study, `${study}.1`, 1, 6 * MB);
    const second = await create([
      { size: sameUids.size, sha256: declared, name: 'same-uids.dcm' },
      { size: otherUid.size, sha256: declared, name: 'other-uid.dcm' },
    ]);
    await upload(second.files[0]!, sameUids.chunks());
    await upload(second.files[1]!, otherUid.chunks());
    await runtime.events.idle();
    const result = await report(second.id);
    expect(result.counts).toMatchObject({ stored: 0, refused: 2, pending: 0 });
    for (const [i, instance] of [sameUids, otherUid].entries()) {
      const file = result.files[i]!;
      expect(file).toMatchObject({ status: 'refused', failureReason: 0xc000, sopInstanceUID: instance.sop, hashRead: { bytes: instance.size } });
      expect(file.reason).toBe(`part 1 refused: the uploaded bytes have SHA-256 ${instance.sha256()}, not the ${declared} declared: the upload is corrupted or is another file; nothing was stored`);
    }
    expect(result.response?.status).toBe(409);
    expect(await stagedKeys()).toEqual([]);

    // The study holds the original alone, its bytes unchanged.
    const listed = (await (await fetch(`${runtime.url}/dicom-web/studies/${study}/instances`)).json()) as Record<string, { Value: string[] }>[];
    expect(listed.map((match) => match['00080018']!.Value[0])).toEqual([original.sop]);
    const response = await fetch(`${runtime.dataPlaneUrl}/dicom-web/studies/${study}/series/${study}.1/instances/${original.sop}`, {
      headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    const [part] = multipartBodies(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!);
    expect(sha256(part!.body)).toBe(declared);
  });

  it('refuses a file whose uploaded size is not the declared one, and checks the completion', { timeout: 120_000 }, async () => {
    const junk = randomBytes(1024);
    const created = await create([{ size: 2048, sha256: sha256(junk) }]);
    const file = created.files[0]!;
    // A completion that does not list the file's parts is refused before S3 is asked.
    const wrong = await fetch(file.complete, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ parts: [] }) });
    expect(wrong.status).toBe(400);
    await upload(file, bytes(junk));
    await runtime.events.idle();
    const [view] = (await report(created.id)).files;
    expect(view).toMatchObject({ status: 'refused', failureReason: 0xc000 });
    expect(view!.reason).toMatch(/1024 bytes, not the 2048 declared/);
    // Completing again answers the file's state (idempotent).
    const again = await fetch(file.complete, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ parts: [{ partNumber: 1, etag: '"x"' }] }) });
    expect(await json(again, 200)).toEqual({ file: 1, state: 'refused' });
  });

  it('copies an object over the single-copy limit into place in parts (UploadPartCopy), byte for byte', { timeout: 120_000 }, async () => {
    const study = '2.25.917004';
    const instance = largeInstance(study, `${study}.1`, 0, 20 * MB);
    const declared = await hashOf(instance);
    // Staged under a key no upload names (the runtime's own indexer leaves it), then indexed here
    // with the limit lowered from S3's 5 GB to 8 MiB, so the copy goes in 8 MiB parts.
    const key = `${UPLOADS_PREFIX}default/${randomUUID()}/1.dcm`;
    const s3 = s3For(runtime);
    const Bucket = runtime.names.bucket('archive');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: key }));
    const parts: { PartNumber: number; ETag: string }[] = [];
    let held: Buffer[] = [];
    const flush = async () => {
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber: parts.length + 1, Body: Buffer.concat(held) }));
      parts.push({ PartNumber: parts.length + 1, ETag: ETag! });
      held = [];
    };
    for await (const chunk of instance.chunks()) {
      held.push(chunk);
      if (held.reduce((n, b) => n + b.length, 0) >= 8 * MB) await flush();
    }
    if (held.length) await flush();
    await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    await runtime.events.idle();
    const reads = noReads();
    const context = { tenant: 'default', studyInUrl: undefined, serviceUrl: `${runtime.url}/dicom-web`, now: new Date() };
    // An invocation with too little time left to hash it refuses it, and stores nothing.
    const late = await indexUploadedObject({ key, sha256: declared, size: instance.size }, context, noReads(), { hash: { timeLeftMs: () => 60_000 } });
    expect(late?.status).toBe(409);
    expect(late?.warnings.join()).toMatch(/SHA-256 could not be established within one indexing run \(0 of \d+ bytes read\)/);
    expect(await (await fetch(`${runtime.url}/dicom-web/studies/${study}/instances`)).text()).toBe('[]');
    const result = await indexUploadedObject({ key, sha256: declared, size: instance.size }, context, reads, { copy: { singleCopyLimit: 8 * MB, partBytes: 8 * MB } });
    expect(result?.status).toBe(200);
    expect(reads.header.bytes).toBeLessThan(1 * MB);
    expect(reads.hash.bytes).toBe(instance.size);
    const response = await fetch(`${runtime.dataPlaneUrl}/dicom-web/studies/${study}/series/${study}.1/instances/${instance.sop}`, {
      headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    const [part] = multipartBodies(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!);
    expect(part!.body.length).toBe(instance.size);
    expect(sha256(part!.body)).toBe(declared);
    // The same object again: the key exists, so nothing is copied over it.
    expect((await indexUploadedObject({ key, sha256: declared, size: instance.size }, context, undefined, { copy: { singleCopyLimit: 8 * MB, partBytes: 8 * MB } }))?.status).toBe(200);
  });

  it('keeps uploads to their tenant, checks the request, and reports an expired upload', { timeout: 60_000 }, async () => {
    const created = await create([{ size: 20 * MB, sha256: 'a'.repeat(64) }]);
    expect(created.files[0]!.parts).toBe(3);
    // More part URLs on request, within the file's parts.
    const more = await json<{ partUrls: { partNumber: number }[] }>(await fetch(`${created.files[0]!.moreParts}?first=2&count=5`), 200);
    expect(more.partUrls.map((p) => p.partNumber)).toEqual([2, 3]);
    const other = await runtime.authorization('other-tenant', ['dicom.write']);
    expect((await fetch(`${runtime.url}/dicom-web/uploads/${created.id}`, { headers: other })).status).toBe(404);
    const read = await runtime.authorization('default', ['dicom.read']);
    expect((await fetch(`${runtime.url}/dicom-web/uploads/${created.id}`, { headers: read })).status).toBe(403);
    const bad = await fetch(`${runtime.url}/dicom-web/uploads`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ files: [{ size: 10, sha256: 'xyz' }] }) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/sha256 must be 64 hex digits/);
    const huge = await fetch(`${runtime.url}/dicom-web/uploads`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ files: [{ size: 6 * 2 ** 40, sha256: 'a'.repeat(64) }] }) });
    expect(huge.status).toBe(413);

    // Last in this file: the local clock only moves forward.
    runtime.clock.advance(2 * 24 * 3600 * 1000);
    const expired = await report(created.id);
    expect(expired.files[0]).toMatchObject({ status: 'refused', failureReason: 0x0110 });
    expect(expired.files[0]!.reason).toMatch(/expired/);
    expect((await fetch(`${created.files[0]!.moreParts}?first=1`)).status).toBe(409);
  });
});
