/**
 * The data plane (issue 13): STOW-RS and WADO-RS of any size through the same exchanges as the
 * Lambda handlers, streamed end to end. STRATA_DATA_PLANE_TEST_MB sets the large request's size
 * (default 200; 1024 for the 1 GB acceptance run).
 */
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMultipart } from '#core/dicomweb/multipart-stream.ts';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { fixture, stowBody } from '#test/helpers/dicom.ts';
import { largeInstance, stowStream, type LargeInstance } from '#test/helpers/large-instances.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { SPOOL_BYTES } from '#services/store-instances.ts';
import { PART_BYTES } from '#adapters/ingest/staging-upload.ts';

const LARGE_MB = Number(process.env.STRATA_DATA_PLANE_TEST_MB ?? 200);
const INSTANCE_MB = 50;
/** The bound this test holds the process to (server and test client share it). */
const RSS_BOUND_MB = 400;
const BOUNDARY = 'strata-data-plane-test';
const CONTENT_TYPE = `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`;

/** POSTs a streamed body; resolves with the status and text of the answer. */
function postStream(url: string, body: AsyncIterable<Buffer>, token: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': CONTENT_TYPE, Accept: 'application/dicom+json', Authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    pipeline(Readable.from(body), req).catch(reject);
  });
}

/** Highest RSS seen while `work` runs, sampled every 50 ms. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  try {
    const result = await work();
    return { result, peakMb: Math.round(peak / 1024 / 1024) };
  } finally {
    clearInterval(timer);
  }
}

/** SHA-256 of every instance of a WADO-RS multipart response, read as a stream. */
async function retrievedHashes(url: string): Promise<Map<string, string>> {
  const response = await fetch(url, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
  expect(response.status).toBe(200);
  const boundary = /boundary=([^;]+)/.exec(response.headers.get('content-type') ?? '')![1]!;
  const hashes = new Map<string, string>();
  for await (const part of readMultipart(Readable.fromWeb(response.body! as never), boundary)) {
    const hash = createHash('sha256');
    for await (const chunk of part.body) hash.update(chunk);
    hashes.set(part.headers['content-location']!.split('/').at(-1)!, hash.digest('hex'));
  }
  return hashes;
}

async function stagingLeftovers(runtime: TestRuntime) {
  const s3 = s3For(runtime);
  const Bucket = runtime.names.bucket('archive');
  const staged = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'staging/' }));
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket }));
  return { objects: staged.Contents?.length ?? 0, uploads: uploads.Uploads?.length ?? 0 };
}

/**
 * The emulators' ports of this file's first runtime: handler and data-plane modules load once per
 * process and keep the endpoints they read then, so later runtimes in this file reuse the ports.
 */
let filePorts: TestRuntime['servicePorts'] | undefined;

describe('data plane: STOW-RS and WADO-RS of any size', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime();
    filePorts = runtime.servicePorts;
  });
  afterAll(async () => runtime?.dispose());

  it(`stores a ${LARGE_MB} MB request with bounded memory, returns the same bytes, and answers a re-push as duplicates`, async () => {
    const study = '1.2.826.0.1.3680043.8.498.13001';
    const series = `${study}.1`;
    const count = Math.max(1, Math.round(LARGE_MB / INSTANCE_MB));
    const instances: LargeInstance[] = Array.from({ length: count }, (_, i) => largeInstance(study, series, i, INSTANCE_MB * 1024 * 1024));
    const { result: first, peakMb } = await peakRss(() => postStream(`${runtime.dataPlaneUrl}/dicom-web/studies`, stowStream(instances, BOUNDARY), runtime.testToken));
    expect(first.status, first.text).toBe(200);
    const response = JSON.parse(first.text) as Record<string, { Value?: Record<string, { Value?: unknown[] }>[] }>;
    expect(response['00081199']?.Value).toHaveLength(count);
    expect(response['00081198']).toBeUndefined();
    console.log(`data plane STOW of ${count} × ${INSTANCE_MB} MB: peak RSS ${peakMb} MB (bound ${RSS_BOUND_MB} MB)`);
    expect(peakMb).toBeLessThan(RSS_BOUND_MB);

    const sent = new Map(instances.map((instance) => [instance.sop, instance.sha256()]));
    const { result: retrieved, peakMb: wadoPeak } = await peakRss(() => retrievedHashes(`${runtime.dataPlaneUrl}/dicom-web/studies/${study}`));
    console.log(`data plane WADO of the study: peak RSS ${wadoPeak} MB`);
    expect(retrieved).toEqual(sent);
    expect(wadoPeak).toBeLessThan(RSS_BOUND_MB);

    const again = await postStream(`${runtime.dataPlaneUrl}/dicom-web/studies`, stowStream(instances, BOUNDARY), runtime.testToken);
    expect(again.status).toBe(200);
    const repeated = JSON.parse(again.text) as typeof response;
    // The same bytes again: plain successes (no new version, no warning), the index unchanged.
    expect(repeated['00081199']?.Value?.map((item) => item['00081196'])).toEqual(Array(count).fill(undefined));
    expect(await retrievedHashes(`${runtime.dataPlaneUrl}/dicom-web/studies/${study}`)).toEqual(sent);
    expect(await stagingLeftovers(runtime)).toEqual({ objects: 0, uploads: 0 });
  }, 1_800_000);

  it("answers a request too large for the Lambda path with a 413 that names the data plane's URL: over API Gateway's 10 MB, and over Lambda's 6 MB payload after base64", async () => {
    const post = (megabytes: number) => fetch(`${runtime.url}/dicom-web/studies`, { method: 'POST', body: Buffer.alloc(Math.round(megabytes * 1024 * 1024)), headers: { 'Content-Type': CONTENT_TYPE } });
    // 11 MB: API Gateway's limit. 5 and 4.6 MB: under it, but 6.7 and 6.1 MB once base64-encoded into Lambda's event (AWS answers these
    // with the REQUEST_TOO_LARGE gateway response, now and then a 500 whose body names the data plane too; README, "Request sizes").
    for (const megabytes of [11, 5, 4.6]) {
      const response = await post(megabytes);
      expect(response.status, `${megabytes} MB`).toBe(413);
      expect(((await response.json()) as { message: string }).message).toContain(`${runtime.dataPlaneUrl}/dicom-web`);
    }
    // 4.4 MB fits: the handler runs (and refuses a body that is no multipart document).
    const fits = await post(4.4);
    expect(fits.status).toBe(400);
  });

  it('keeps nothing of an instance cut off mid-part while its multipart upload is open: upload aborted, no object, no index entry', async () => {
    const study = '1.2.826.0.1.3680043.8.498.13002';
    const series = `${study}.1`;
    const whole = largeInstance(study, series, 0, 40 * 1024 * 1024);
    const cut = largeInstance(study, series, 1, 120 * 1024 * 1024);
    // Past the part's spooled head (SPOOL_BYTES) and several upload parts (PART_BYTES): a multipart upload is open.
    const cutAfter = whole.size + SPOOL_BYTES + 4 * PART_BYTES;
    const s3 = s3For(runtime);
    const Bucket = runtime.names.bucket('archive');
    const openUploads = async () => (await s3.send(new ListMultipartUploadsCommand({ Bucket }))).Uploads ?? [];
    let openAtCut: Awaited<ReturnType<typeof openUploads>> = [];
    await new Promise<void>((resolve, reject) => {
      const req = request(`${runtime.dataPlaneUrl}/dicom-web/studies`, { method: 'POST', headers: { 'Content-Type': CONTENT_TYPE, Authorization: `Bearer ${runtime.testToken}` } });
      req.on('error', () => resolve());
      req.on('response', (res) => reject(new Error(`the service answered ${res.statusCode} to a body it has not had whole`)));
      (async () => {
        for await (const chunk of stowStream([whole, cut], BOUNDARY, cutAfter)) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        // The client stalls mid-part until the service has the cut part's upload open, then vanishes.
        const deadline = Date.now() + 60_000;
        while (!(openAtCut = await openUploads()).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        req.destroy();
      })().catch(reject);
    });
    expect(openAtCut.map((upload) => upload.Key)).toEqual([expect.stringMatching(/^staging\//)]);
    // The server notices and cleans up; poll until the staging area is empty.
    const deadline = Date.now() + 60_000;
    let leftovers = await stagingLeftovers(runtime);
    while ((leftovers.objects || leftovers.uploads) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      leftovers = await stagingLeftovers(runtime);
    }
    expect(leftovers).toEqual({ objects: 0, uploads: 0 });
    await new Promise((r) => setTimeout(r, 500));
    expect(await stagingLeftovers(runtime)).toEqual({ objects: 0, uploads: 0 });
    const objects = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: `default/studies/${study}/` }));
    const keys = (objects.Contents ?? []).map((o) => o.Key!);
    // The instance that arrived whole is kept (and indexed, so it is no orphan); the cut one left nothing.
    expect(keys.some((key) => key.includes(`/instances/${cut.sop}/`))).toBe(false);
    expect(keys.filter((key) => key.includes(`/instances/${whole.sop}/`))).toHaveLength(1);
    const search = await fetch(`${runtime.url}/dicom-web/studies/${study}/instances`, { headers: { Accept: 'application/dicom+json' } });
    const found = (await search.json()) as Record<string, { Value?: string[] }>[];
    expect(found.map((item) => item['00080018']?.Value?.[0])).toEqual([whole.sop]);
    const retrieved = await retrievedHashes(`${runtime.dataPlaneUrl}/dicom-web/studies/${study}`);
    expect([...retrieved.keys()]).toEqual([whole.sop]);
  }, 300_000);
});

describe('one implementation: the Lambda path and the data plane store the same fixtures identically', () => {
  // Native, encapsulated, big endian, a refused one, and a repeat (one instance, reported once).
  // (No two versions of one SOP Instance: which becomes current among versions ingested in the
  // same instant follows write completion order, which concurrent whole-part writes do not fix.)
  const FIXTURES = ['CT_small.dcm', 'MR_small.dcm', 'JPEG2000.dcm', 'SC_rgb_rle_2frame.dcm', 'ExplVR_BigEnd.dcm', 'no_meta.dcm', 'CT_small.dcm'];

  const normalized = (text: string, runtime: TestRuntime) =>
    text.replaceAll(runtime.url, 'BASE').replaceAll(runtime.dataPlaneUrl, 'BASE').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'TIME');

  /** Pushes the fixtures into a fresh archive through `plane`; the response and every index item, normalized. */
  async function pushThrough(plane: 'lambda' | 'data', servicePorts?: TestRuntime['servicePorts']) {
    // One runtime at a time (the SDK environment is process-wide), on the same emulator ports.
    // Through the data plane every part streams (header from the first 1 KB): the streamed reading is what is compared.
    const runtime = await startTestRuntime({ ...(servicePorts ? { servicePorts } : {}), ...(plane === 'data' ? { dataPlaneSpoolBytes: 1024 } : {}) });
    try {
      const { body, contentType } = stowBody(FIXTURES.map(fixture));
      const base = plane === 'lambda' ? runtime.url : runtime.dataPlaneUrl;
      const response = await fetch(`${base}/dicom-web/studies`, { method: 'POST', body, headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' } });
      const json = JSON.parse(normalized(await response.text(), runtime)) as Record<string, { Value?: unknown[] }>;
      for (const sequence of Object.values(json)) sequence.Value?.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
      // A test-side dump of the whole local table (the product never scans).
      const scan = await dynamoFor(runtime).send(new ScanCommand({ TableName: runtime.names.table('index'), ConsistentRead: true }));
      // Usage counters' byte- and object-hours run to the month's end from the moment of ingest (docs/finance.md).
      const timeless = (item: Record<string, unknown>) => Object.fromEntries(Object.entries(item).filter(([name]) => name !== 'byteHours' && name !== 'objectHours'));
      // Workflow references and the tenant's salt belong to the prior-prefetch workflow both planes start, not to what
      // STOW stores: the salt is random per archive (and kept by the process that made it), references expire by the clock.
      const stored = (item: Record<string, { S?: string }>) => !/^T#[^#]+#REFS?(#|$)/.test(item.pk?.S ?? '');
      const items = (scan.Items ?? []).filter(stored).map((item) => normalized(JSON.stringify(timeless(item)), runtime)).sort();
      return { status: response.status, warning: response.headers.get('warning'), json, items, servicePorts: runtime.servicePorts };
    } finally {
      await runtime.dispose();
    }
  }

  it('gives the same response and the same index items', async () => {
    const viaLambda = await pushThrough('lambda', filePorts);
    const viaDataPlane = await pushThrough('data', viaLambda.servicePorts);
    expect(viaLambda.status).toBe(202); // one part is refused on purpose
    expect(viaDataPlane.status).toBe(viaLambda.status);
    expect(viaDataPlane.json).toEqual(viaLambda.json);
    expect(viaLambda.items.length).toBeGreaterThan(10);
    expect(viaDataPlane.items).toEqual(viaLambda.items);
  }, 300_000);
});
