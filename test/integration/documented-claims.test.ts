/**
 * Claims docs/conformance.md and docs/data-model.md make that no other test held the archive
 * to, each checked through the API (or the bucket) with the values the documents state:
 * the S3 key layout and object metadata, ETag and Cache-Control on every retrieve response,
 * CORS on every response shape, QIDO's limit cap, JSON media type and study attributes, and
 * the STOW failure reasons 0x0122, 0xA700 and 0x0110 with their Warning headers, metadata while the
 * bytes are cold, and deletion refused under Object Lock retention.
 */
import { HeadObjectCommand, ListObjectsV2Command, PutObjectRetentionCommand } from '@aws-sdk/client-s3';
import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localBucketName } from '#infra/local/s3/local-s3.ts';
import { s3For } from '#test/helpers/aws.ts';
import { CT_SMALL, fixture, multipartBodies, sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const DICOMDIR = '1.2.840.10008.1.3.10';
const FAILED_SOP_SEQUENCE = '00081198';
const FAILURE_REASON = '00081197';
const ORIGIN = 'https://viewer.example';

/** CT_small with one PatientName character changed: the same SOP Instance, other bytes (a new version). */
function variant(index: number): Buffer {
  const bytes = Buffer.from(fixture(CT_SMALL.file));
  const at = bytes.indexOf('CompressedSamples^CT1');
  expect(at).toBeGreaterThan(0);
  bytes[at + 'CompressedSamples^CT'.length] = 'ABCDEFGHIJKLMNOP'.charCodeAt(index);
  return bytes;
}

/** A file declaring itself a DICOMDIR (a Media Storage Directory, not a storage SOP class). */
function asDicomdir(): Buffer {
  const bytes = fixture('MR_small.dcm');
  const file = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  file.meta['00020002']!.Value = [DICOMDIR];
  file.dict['00080016']!.Value = [DICOMDIR];
  return Buffer.from(file.write());
}

const failureReasons = (json: Record<string, { Value?: unknown[] }>) =>
  ((json[FAILED_SOP_SEQUENCE]?.Value ?? []) as Record<string, { Value: number[] }>[]).map((item) => item[FAILURE_REASON]!.Value[0]);

describe('Documented claims', () => {
  let runtime: TestRuntime;
  const study = () => `${runtime.url}/dicom-web/studies/${CT_SMALL.study}`;
  const instance = () => `${study()}/series/${CT_SMALL.series}/instances/${CT_SMALL.sop}`;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    expect((await stow(runtime.url, [fixture(CT_SMALL.file)])).status).toBe(200);
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('stores the bytes under the key docs/data-model.md gives, with every x-amz-meta-strata-* field', async () => {
    const s3 = s3For(runtime);
    const bucket = localBucketName('archive');
    const digest = sha256(fixture(CT_SMALL.file));
    const key = `default/studies/${CT_SMALL.study}/series/${CT_SMALL.series}/instances/${CT_SMALL.sop}/${digest}.dcm`;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `default/studies/${CT_SMALL.study}/` }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toContain(key);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBe(fixture(CT_SMALL.file).length);
    const { 'strata-ingested-at': ingestedAt, ...rest } = head.Metadata ?? {};
    expect(rest).toEqual({
      'strata-tenant': 'default',
      'strata-study': CT_SMALL.study,
      'strata-series': CT_SMALL.series,
      'strata-sop': CT_SMALL.sop,
      'strata-sop-class': CT_IMAGE_STORAGE,
      'strata-transfer-syntax': EXPLICIT_LE,
      'strata-sha256': digest,
    });
    expect(Math.abs(Date.parse(ingestedAt!) - Date.now())).toBeLessThan(10 * 60_000);
  });

  it('sends ETag and Cache-Control: private on every retrieve response, and 304 for a matching If-None-Match', async () => {
    const metadata = (await (await fetch(`${instance()}/metadata`)).json()) as Record<string, { BulkDataURI?: string }>[];
    const bulkData = metadata[0]!['7FE00010']!.BulkDataURI!;
    expect(bulkData).toMatch(/^http:\/\/.+\/bulkdata\//);
    const asStored = { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' };
    const octets = { Accept: 'multipart/related; type="application/octet-stream"' };
    const resources: [string, Record<string, string>][] = [
      [study(), asStored],
      [`${study()}/series/${CT_SMALL.series}`, asStored],
      [instance(), asStored],
      [`${study()}/metadata`, {}],
      [`${study()}/series/${CT_SMALL.series}/metadata`, {}],
      [`${instance()}/metadata`, {}],
      [`${instance()}/frames/1`, octets],
      [bulkData, octets],
    ];
    for (const [url, headers] of resources) {
      const response = await fetch(url, { headers });
      await response.arrayBuffer();
      expect(response.status, url).toBe(200);
      const etag = response.headers.get('etag');
      expect(etag, url).toMatch(/^(W\/)?"[^"]+"$/);
      expect(response.headers.get('cache-control'), url).toBe('private');
      const again = await fetch(url, { headers: { ...headers, 'If-None-Match': etag! } });
      await again.arrayBuffer();
      expect(again.status, url).toBe(304);
    }
  });

  it('puts CORS headers on every response shape: 200, 304, 400, 404, 406, 409 and preflights', async () => {
    const cors = async (url: string, init: RequestInit = {}) => {
      const response = await fetch(url, { ...init, headers: { Origin: ORIGIN, ...(init.headers as Record<string, string>) } });
      await response.arrayBuffer();
      return { status: response.status, allow: response.headers.get('access-control-allow-origin'), expose: response.headers.get('access-control-expose-headers') ?? '' };
    };
    const etag = (await fetch(`${instance()}/metadata`)).headers.get('etag')!;
    const shapes = [
      await cors(`${runtime.url}/dicom-web/studies`),
      await cors(`${instance()}/metadata`, { headers: { 'If-None-Match': etag } }),
      await cors(`${runtime.url}/dicom-web/studies/1.2.3x`),
      await cors(`${runtime.url}/dicom-web/studies/1.2.3.4/metadata`),
      await cors(instance(), { headers: { Accept: 'image/png' } }),
      await cors(`${runtime.url}/dicom-web/studies`, { method: 'POST', headers: { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=x' }, body: '--x\r\nContent-Type: application/dicom\r\n\r\nnot dicom\r\n--x--' }),
    ];
    expect(shapes.map((s) => s.status)).toEqual([200, 304, 400, 404, 406, 409]);
    for (const shape of shapes) {
      expect(shape.allow, String(shape.status)).toMatch(/^(\*|https:\/\/viewer\.example)$/);
      if (shape.status !== 304) expect(shape.expose.toLowerCase(), String(shape.status)).toEqual(expect.stringContaining('warning'));
    }
    const preflight = await cors(`${runtime.url}/dicom-web/studies`, { method: 'OPTIONS', headers: { 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.allow).toMatch(/^(\*|https:\/\/viewer\.example)$/);
  });

  it('answers QIDO as JSON for application/json, with SOPClassesInStudy and InstanceAvailability, and caps limit at 1000 with a Warning', async () => {
    const response = await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=${CT_SMALL.study}&limit=5000&includefield=00080062&includefield=00080056`, {
      headers: { Accept: 'application/json' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/(dicom\+)?json/);
    expect(response.headers.get('warning')).toMatch(/^299 .*limit was capped at 1000/);
    const [result] = (await response.json()) as Record<string, { Value?: unknown[] }>[];
    expect(result!['00080062']).toEqual({ vr: 'UI', Value: [CT_IMAGE_STORAGE] });
    expect(result!['00080056']).toEqual({ vr: 'CS', Value: ['ONLINE'] });
  });

  it('refuses a DICOMDIR with 0x0122 and a Warning: 299 naming its SOP class', async () => {
    const { status, json, headers } = await stow(runtime.url, [asDicomdir()]);
    expect(status).toBe(409);
    expect(failureReasons(json)).toEqual([0x0122]);
    expect(headers.get('warning')).toMatch(new RegExp(`^299 .*${DICOMDIR.replace(/\./g, '\\.')} is not a storage SOP class`));
  });

  it('stores at most 10 versions of one SOP Instance per request and answers 0xA700 for the rest, stored by a later push', async () => {
    const versions = Array.from({ length: 12 }, (_, i) => variant(i));
    const first = await stow(runtime.url, versions);
    expect(first.status).toBe(202);
    expect(failureReasons(first.json)).toEqual([0xa700, 0xa700]);
    expect(first.headers.get('warning')).toMatch(/^299 /);
    const later = await stow(runtime.url, versions.slice(10));
    expect(failureReasons(later.json)).toEqual([]);
  });

  /** The one object of a study pushed in this test, and the instance's URL from the STOW answer. */
  const pushOne = async (name: string) => {
    const { status, json } = await stow(runtime.url, [fixture(name)]);
    expect(status).toBe(200);
    const url = String((json['00081199']!.Value![0] as Record<string, { Value: string[] }>)['00081190']!.Value[0]);
    const study = /studies\/([^/]+)/.exec(url)![1]!;
    const listed = await s3For(runtime).send(new ListObjectsV2Command({ Bucket: localBucketName('archive'), Prefix: `default/studies/${study}/` }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!).filter((key) => key.endsWith('.dcm'));
    expect(keys).toHaveLength(1);
    return { url, key: keys[0]! };
  };

  it('serves metadata and QIDO while the bytes are in DEEP_ARCHIVE, and answers the bytes with 503 + Retry-After', async () => {
    const { url, key } = await pushOne('MR_small.dcm');
    const moved = await fetch(`${runtime.url}/_local/s3/transition`, { method: 'POST', body: JSON.stringify({ key, storageClass: 'DEEP_ARCHIVE' }) });
    expect(moved.status).toBe(200);
    const bytes = await fetch(url, { headers: { Accept: 'multipart/related; type="application/dicom"' } });
    expect(bytes.status).toBe(503);
    expect(Number(bytes.headers.get('retry-after'))).toBeGreaterThan(0);
    const metadata = await fetch(`${url}/metadata`);
    expect(metadata.status).toBe(200);
    const [instance] = (await metadata.json()) as Record<string, { Value?: unknown[] }>[];
    expect(instance!['00080018']!.Value).toEqual([url.split('/').pop()]);
    const study = /studies\/([^/]+)/.exec(url)![1]!;
    const found = (await (await fetch(`${runtime.url}/dicom-web/studies/${study}/instances?includefield=00080056`)).json()) as Record<string, { Value?: unknown[] }>[];
    expect(found.map((s) => s['00080056']?.Value?.[0])).toEqual(['OFFLINE']);
  });

  it('refuses to delete an instance whose object is under Object Lock retention, and keeps it whole', async () => {
    const { url, key } = await pushOne('SC_rgb_small_odd.dcm');
    const until = new Date(Date.now() + 86_400_000);
    await s3For(runtime).send(new PutObjectRetentionCommand({ Bucket: localBucketName('archive'), Key: key, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: until } }));
    const refused = await fetch(url, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    const kept = await fetch(url, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
    expect(kept.status).toBe(200);
    const [part] = multipartBodies(Buffer.from(await kept.arrayBuffer()), kept.headers.get('content-type')!);
    expect(sha256(part!.body)).toBe(sha256(fixture('SC_rgb_small_odd.dcm')));
  });

  it('answers 0x0110 when S3 refuses the write, keeps nothing of it, and stores it once S3 recovers', async () => {
    const bytes = fixture('liver_1frame.dcm');
    const file = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    const study = String(file.dict['0020000D']!.Value![0]);
    const faults = `${runtime.url}/_local/s3/faults`;
    expect((await fetch(faults, { method: 'POST', body: JSON.stringify({ keyPrefix: `default/studies/${study}/`, status: 500, code: 'InternalError', operation: 'write' }) })).status).toBe(200);
    try {
      const refused = await stow(runtime.url, [bytes]);
      expect(refused.status).toBe(409);
      expect(failureReasons(refused.json)).toEqual([0x0110]);
      expect(await (await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=${study}`)).json()).toEqual([]);
    } finally {
      await fetch(faults, { method: 'DELETE' });
    }
    const stored = await stow(runtime.url, [bytes]);
    expect(stored.status).toBe(200);
    expect(failureReasons(stored.json)).toEqual([]);
  });
});
