/**
 * Input that must neither corrupt the archive nor stop it (issue 8): UIDs that are not UIDs,
 * paths with dot segments and bad escapes, attributes that would size allocations, deep
 * nesting, and requests that would buy unbounded work. Every reproduction from the attack
 * on the running archive is here, and the archive must answer each with a 4xx or a warning.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { s3For } from '#test/helpers/aws.ts';
import { multipartBodies, sha256, stow, stowBody } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { minimal, patchBytes, synthesize } from '#test/helpers/synthetic.ts';

type Dataset = Record<string, { vr?: string; Value?: unknown[] }>;

const STUDY = '2.25.970000';
const SERIES = '2.25.970000.1';
const GOOD_SOP = '2.25.970000.1.1';
const OTHER_SOP = '2.25.970000.1.2';
const TRANSFER_SYNTAX_ANY = 'multipart/related; type="application/dicom"; transfer-syntax=*';

/** A small instance (no pixels) of the test study. */
const small = (sop: string, extra: Record<string, [string, unknown]> = {}) =>
  synthesize('CT_small.dcm', { study: STUDY, series: SERIES, sop, remove: ['7FE00010'], extra });

/** Sends a request with its path exactly as written (no dot-segment resolution, no re-encoding). */
function raw(runtime: TestRuntime, method: string, path: string): Promise<{ status: number; body: string }> {
  const target = new URL(runtime.url);
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${runtime.testToken}` };
    const req = request({ hostname: target.hostname, port: target.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

const failureReasons = (json: Dataset) => ((json['00081198']?.Value ?? []) as Dataset[]).map((item) => item['00081197']?.Value?.[0]);
const referenced = (json: Dataset) => (json['00081199']?.Value ?? []) as Dataset[];

describe('Hostile and clumsy input', () => {
  let runtime: TestRuntime;
  const good = small(GOOD_SOP);
  const other = small(OTHER_SOP);

  beforeAll(async () => {
    runtime = await startTestRuntime();
    expect((await stow(runtime.url, [good, other])).status).toBe(200);
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  const instanceUrl = (sop: string) => `${runtime.url}/dicom-web/studies/${STUDY}/series/${SERIES}/instances/${sop}`;
  const retrieve = async (sop: string) => {
    const response = await fetch(instanceUrl(sop), { headers: { Accept: TRANSFER_SYNTAX_ANY } });
    if (response.status !== 200) return { status: response.status, bodies: [] };
    const body = Buffer.from(await response.arrayBuffer());
    return { status: 200, bodies: multipartBodies(body, response.headers.get('content-type')!).map((part) => part.body) };
  };

  describe('UIDs are checked, never rewritten', () => {
    it('refuses a SOP Instance UID with a stray character instead of storing it as another instance', async () => {
      // Same length as a valid UID, so the file is otherwise identical: 2.25.970000.1.19 → …1.1x
      const forged = patchBytes(small('2.25.970000.1.19'), '2.25.970000.1.19', '2.25.970000.1.1x');
      const { status, json, headers } = await stow(runtime.url, [forged]);
      expect(status).toBe(409);
      expect(failureReasons(json)).toEqual([0xa900]);
      expect(headers.get('warning')).toMatch(/SOPInstanceUID \(0008,0018\) ['"]2\.25\.970000\.1\.1x['"] is not a valid UID/);
      const served = await retrieve(GOOD_SOP);
      expect(served.bodies.map(sha256)).toEqual([sha256(good)]);
    });

    it('refuses a Study Instance UID with a slash rather than indexing it as another study', async () => {
      const forged = patchBytes(synthesize('CT_small.dcm', { study: '1.2.3.4', series: '1.2.3.4.1', sop: '1.2.3.4.1.1', remove: ['7FE00010'] }), '1.2.3.4\0', '1.2/3.4\0');
      const { status, json, headers } = await stow(runtime.url, [forged]);
      expect(status).toBe(409);
      expect(failureReasons(json)).toEqual([0xa900]);
      expect(headers.get('warning')).toMatch(/StudyInstanceUID \(0020,000D\)/);
      const found = (await (await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=1.23.4`)).json()) as Dataset[];
      expect(found).toEqual([]);
    });

    it('answers 400 for a path segment that is not a UID, on every route, and changes nothing', async () => {
      for (const [method, path] of [
        ['DELETE', `/dicom-web/studies/${STUDY}/series/${SERIES}/instances/%2e%2e`],
        ['GET', `/dicom-web/studies/${STUDY}/series/${SERIES}/instances/%2e%2e`],
        ['GET', `/dicom-web/studies/${STUDY}/series/1.2%2F3.4/instances`],
        ['GET', `/dicom-web/studies/${STUDY}x/metadata`],
        ['GET', `/dicom-web/studies/${'1.'.repeat(1100)}1`],
        ['DELETE', `/dicom-web/studies/%zz`],
        ['GET', `/dicom-web/studies/%zz/series`],
        ['GET', `/dicom-web/studies/${STUDY}/series/${SERIES}/instances/${GOOD_SOP}/frames/%zz`],
      ] as const) {
        const response = await raw(runtime, method, path);
        expect(response.status, `${method} ${path.slice(0, 80)}`).toBe(400);
        expect(JSON.parse(response.body).message).toBeTruthy();
      }
      expect((await retrieve(GOOD_SOP)).bodies.map(sha256)).toEqual([sha256(good)]);
      expect((await retrieve(OTHER_SOP)).bodies.map(sha256)).toEqual([sha256(other)]);
    });

    it('routes on the raw path: dot segments reach neither another resource nor the admin routes', async () => {
      const up = await raw(runtime, 'DELETE', `/dicom-web/studies/${STUDY}/series/${SERIES}/instances/..`);
      expect(up.status).toBe(400);
      const admin = await raw(runtime, 'GET', '/dicom-web/studies/../../_local/s3/faults');
      expect(admin.status).toBe(404);
      expect((await retrieve(OTHER_SOP)).status).toBe(200);
    });

    it('refuses, before storing anything, an instance whose keyed attributes cannot fit an index key', async () => {
      const bucket = runtime.names.bucket('archive');
      const s3 = s3For(runtime);
      const count = async () => (await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount;
      const before = await count();
      const cases: [Record<string, [string, unknown]>, RegExp][] = [
        [{ '00100020': ['LO', 'P'.repeat(3000)] }, /PatientID \(0010,0020\) is 3000 bytes/],
        [{ '00080050': ['SH', 'A'.repeat(1500)] }, /AccessionNumber/],
        [{ '00100010': ['PN', { Alphabetic: `DOE^${'J'.repeat(2000)}` }] }, /PatientName/],
      ];
      for (const [extra, element] of cases) {
        const { status, json, headers } = await stow(runtime.url, [small('2.25.970000.1.5', extra)]);
        expect(status).toBe(409);
        expect(failureReasons(json)).toEqual([0xa900]);
        expect(headers.get('warning')).toMatch(element);
      }
      expect(await count()).toBe(before);
    });

    it('refuses query UIDs that are not UIDs and over-long key values with 400, and a reversed date range matches nothing', async () => {
      const search = (query: string) => fetch(`${runtime.url}/dicom-web/studies?${query}`);
      expect((await search(`StudyInstanceUID=${'9'.repeat(2100)}`)).status).toBe(400);
      expect((await search('StudyInstanceUID=1.2.3x')).status).toBe(400);
      expect((await search(`PatientID=${'P'.repeat(3000)}`)).status).toBe(400);
      expect((await search(`PatientName=${'A'.repeat(3000)}*`)).status).toBe(400);
      const twice = await search(`StudyInstanceUID=${STUDY},${STUDY}`);
      expect(twice.status).toBe(200);
      expect(await twice.json()).toHaveLength(1);
      const reversed = await search('StudyDate=20250101-20000101');
      expect(reversed.status).toBe(200);
      expect(await reversed.json()).toEqual([]);
      const reversedForPatient = await search('PatientID=x&StudyDate=20250101-20000101');
      expect(reversedForPatient.status).toBe(200);
    });
  });

  describe('Attributes never size an allocation', () => {
    it('stores an instance whose NumberOfFrames its pixel data cannot hold with a warning, and serves the frames that exist', async () => {
      const sop = '2.25.970000.1.3';
      const bytes = synthesize('CT_small.dcm', { study: STUDY, series: SERIES, sop, extra: { '00280008': ['IS', 2147483647] } });
      const { status, json, headers } = await stow(runtime.url, [bytes]);
      expect(status).toBe(202);
      expect(referenced(json)[0]!['00081196']?.Value).toEqual([0xb007]);
      expect(headers.get('warning')).toMatch(/NumberOfFrames is 2147483647 but its Pixel Data holds 1/);
      const frame = await fetch(`${instanceUrl(sop)}/frames/1`, { headers: { Accept: 'multipart/related; type="application/octet-stream"' } });
      expect(frame.status).toBe(200);
      const [part] = multipartBodies(Buffer.from(await frame.arrayBuffer()), frame.headers.get('content-type')!);
      expect(part!.body.length).toBe(128 * 128 * 2);
      const past = await fetch(`${instanceUrl(sop)}/frames/2`, { headers: { Accept: 'multipart/related; type="application/octet-stream"' } });
      expect(past.status).toBe(404);
      const bulk = await fetch(`${instanceUrl(sop)}/bulkdata/7FE00010`, { headers: { Accept: 'multipart/related; type="application/octet-stream"' } });
      expect(bulk.status).toBe(200);
      expect(multipartBodies(Buffer.from(await bulk.arrayBuffer()), bulk.headers.get('content-type')!)).toHaveLength(1);
      const repeated = await fetch(`${instanceUrl(sop)}/frames/${Array(2000).fill(1).join(',')}`, { headers: { Accept: 'multipart/related; type="application/octet-stream"' } });
      expect(repeated.status).toBe(400);
      expect((await fetch(`${runtime.url}/health`)).status).toBe(200);
    });

    it('warns about pixel attributes that cannot describe the Pixel Data (NumberOfFrames -5, BitsAllocated 0)', async () => {
      const cases: [string, Record<string, [string, unknown]>, RegExp][] = [
        ['2.25.970000.1.7', { '00280008': ['IS', -5] }, /NumberOfFrames is -5, not a positive number/],
        ['2.25.970000.1.8', { '00280100': ['US', 0] }, /bitsAllocated is not positive/],
      ];
      for (const [sop, extra, message] of cases) {
        const { status, json, headers } = await stow(runtime.url, [synthesize('CT_small.dcm', { study: STUDY, series: SERIES, sop, extra })]);
        expect(status).toBe(202);
        expect(referenced(json)[0]!['00081196']?.Value).toEqual([0xb007]);
        expect(headers.get('warning')).toMatch(message);
      }
      const frame = await fetch(`${instanceUrl('2.25.970000.1.8')}/frames/1`, { headers: { Accept: 'multipart/related; type="application/octet-stream"' } });
      expect(frame.status).toBe(404);
    });

    it('refuses, before the first byte, a conversion that would decode more than the budget', async () => {
      const sop = '2.25.970000.1.6';
      const huge = synthesize('SC_rgb_rle_2frame.dcm', { study: STUDY, series: SERIES, sop, extra: { '00280010': ['US', 65535], '00280011': ['US', 65535] } });
      expect((await stow(runtime.url, [huge])).status).toBeLessThan(300);
      const converted = await fetch(instanceUrl(sop), { headers: { Accept: 'multipart/related; type="application/dicom"' } });
      expect(converted.status).toBe(406);
      const asStored = await fetch(instanceUrl(sop), { headers: { Accept: TRANSFER_SYNTAX_ANY } });
      expect(asStored.status).toBe(200);
      expect(multipartBodies(Buffer.from(await asStored.arrayBuffer()), asStored.headers.get('content-type')!).map((p) => sha256(p.body))).toEqual([sha256(huge)]);
    });

    it('refuses sequences nested deeper than 64 levels and stores (and describes) 64', async () => {
      const nested = (depth: number): unknown => (depth === 0 ? { '00100020': { vr: 'LO', Value: ['leaf'] } } : { '0040A730': { vr: 'SQ', Value: [nested(depth - 1)] } });
      const at = (depth: number, sop: string) => synthesize('CT_small.dcm', { study: STUDY, series: SERIES, sop, remove: ['7FE00010'], extra: { '0040A730': ['SQ', nested(depth - 1)] } });
      const deep = await stow(runtime.url, [at(65, '2.25.970000.1.65')]);
      expect(deep.status).toBe(409);
      expect(failureReasons(deep.json)).toEqual([0xc000]);
      expect(deep.headers.get('warning')).toMatch(/nest deeper than 64 levels/);

      expect((await stow(runtime.url, [at(64, '2.25.970000.1.64')])).status).toBe(200);
      const metadata = await fetch(`${instanceUrl('2.25.970000.1.64')}/metadata`);
      expect(metadata.status).toBe(200);
      let item = ((await metadata.json()) as Dataset[])[0]!;
      let levels = 0;
      while (item['0040A730']) {
        item = (item['0040A730'].Value as Dataset[])[0]!;
        levels++;
      }
      expect(levels).toBe(64);
      expect(item['00100020']?.Value).toEqual(['leaf']);
    });
  });

  describe('Small requests buy bounded work', () => {
    it('handles identical parts once', async () => {
      const sop = '2.25.970000.1.4';
      const copy = small(sop);
      const { status, json } = await stow(runtime.url, Array.from({ length: 300 }, () => copy));
      expect(status).toBe(200);
      expect(referenced(json).map((item) => item['00081155']?.Value?.[0])).toEqual([sop]);
      const instances = (await (await fetch(`${runtime.url}/dicom-web/studies/${STUDY}/series/${SERIES}/instances?SOPInstanceUID=${sop}`)).json()) as Dataset[];
      expect(instances).toHaveLength(1);
    });

    it('refuses a request with no parts with 400 and a reason', async () => {
      const response = await fetch(`${runtime.url}/dicom-web/studies`, {
        method: 'POST',
        body: '--b--\r\n',
        headers: { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=b' },
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(/no parts/);
    });

    it('refuses more than 1000 parts in one request with 413 and stores none of them', async () => {
      const parts = Array.from({ length: 1001 }, (_, i) => minimal({ study: STUDY, series: SERIES, sop: `2.25.970001.${i}` }));
      const { body, contentType } = stowBody(parts);
      const response = await fetch(`${runtime.url}/dicom-web/studies`, { method: 'POST', body, headers: { 'Content-Type': contentType } });
      expect(response.status).toBe(413);
      expect(((await response.json()) as { message: string }).message).toMatch(/at most 1000/);
      const found = (await (await fetch(`${runtime.url}/dicom-web/instances?SOPInstanceUID=2.25.970001.0`)).json()) as Dataset[];
      expect(found).toEqual([]);
    });

    it('takes at most 10 versions of one instance per request, refusing the rest before storing them', async () => {
      const sop = '2.25.970003.1';
      const versions = Array.from({ length: 12 }, (_, i) => minimal({ study: STUDY, series: SERIES, sop, patientName: `VERSION^${i}` }));
      const { status, json, headers } = await stow(runtime.url, versions);
      expect(status).toBe(202);
      expect(referenced(json)).toHaveLength(10);
      expect(failureReasons(json)).toEqual([0xa700, 0xa700]);
      expect(headers.get('warning')).toMatch(/part 11 refused: more than 10 versions of one instance/);
      const s3 = s3For(runtime);
      const prefix = `default/studies/${STUDY}/series/${SERIES}/instances/${sop}/`;
      const stored = await s3.send(new ListObjectsV2Command({ Bucket: runtime.names.bucket('archive'), Prefix: prefix }));
      expect(stored.KeyCount).toBe(10);
    });

    it('keeps the Warning header bounded whatever the number of warnings', async () => {
      const forged = Array.from({ length: 400 }, (_, i) => {
        const sop = `2.25.970002.${String(i).padStart(3, '0')}`;
        return patchBytes(small(sop), sop, `${sop.slice(0, -1)}x`);
      });
      const { status, headers } = await stow(runtime.url, forged);
      expect(status).toBe(409);
      const warning = headers.get('warning')!;
      expect(warning.length).toBeLessThanOrEqual(4096);
      expect(warning).toMatch(/and \d+ more warnings/);
    });
  });
});
