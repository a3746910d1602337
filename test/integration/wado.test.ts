import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { Keys } from '#core/index-keys.ts';
import { dynamoFor } from '#test/helpers/aws.ts';
import { fixture, multipartBodies, sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

const MR = { study: '1.3.6.1.4.1.5962.1.2.4.20040826185059.5457', series: '1.3.6.1.4.1.5962.1.3.4.1.20040826185059.5457', sop: '1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457' };
const NM = { study: '1.3.6.1.4.1.5962.1.2.8.20040826185059.5457', series: '1.3.6.1.4.1.5962.1.3.8.1.20040826185059.5457', sop: '1.3.6.1.4.1.5962.1.1.8.1.5.20040826185059.5457' };
const RGB_RLE = { file: 'SC_rgb_rle_2frame.dcm' };
const RGB_JPEG = { study: '1.2.826.0.1.3680043.8.498.12406831542731051035295345080039845114', series: '1.2.826.0.1.3680043.8.498.16157229083793556332623330502397121062', sop: '1.2.276.0.7230010.3.1.4.8323329.15150.1506363677.126194' };

const pixelsOf = (bytes: Buffer) => {
  const file = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  return { syntax: String(file.meta['00020010']!.Value![0]), pixels: sha256(Buffer.from(file.dict['7FE00010']!.Value![0] as ArrayBuffer)) };
};

describe('WADO-RS: transfer syntaxes, frames and errors', () => {
  let runtime: TestRuntime;
  let base: string;
  const reference = pixelsOf(fixture('MR_small.dcm'));

  beforeAll(async () => {
    runtime = await startTestRuntime();
    base = `${runtime.url}/dicom-web/studies`;
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  const retrieve = async (path: string, accept?: string) => {
    const response = await fetch(`${base}${path}`, accept === undefined ? {} : { headers: { Accept: accept } });
    const type = response.headers.get('content-type') ?? '';
    const body = Buffer.from(await response.arrayBuffer());
    return { status: response.status, type, body, parts: type.startsWith('multipart/') ? multipartBodies(body, type) : [] };
  };
  const instancePath = (ids: { study: string; series: string; sop: string }) => `/${ids.study}/series/${ids.series}/instances/${ids.sop}`;

  for (const source of ['MR_small_implicit.dcm', 'MR_small_bigendian.dcm', 'MR_small_RLE.dcm', 'MR_small_jp2klossless.dcm']) {
    it(`sends ${source} as Explicit VR Little Endian when no transfer syntax is asked for`, async () => {
      expect((await stow(runtime.url, [fixture(source)])).status).toBeLessThan(300);
      const { status, parts } = await retrieve(instancePath(MR), 'multipart/related; type="application/dicom"');
      expect(status).toBe(200);
      expect(parts[0]!.headers).toMatch(/transfer-syntax=1\.2\.840\.10008\.1\.2\.1\b/);
      expect(pixelsOf(parts[0]!.body)).toEqual(reference);
    });
  }

  it('treats a missing Accept as */* and sends Explicit VR Little Endian', async () => {
    const { status, parts } = await retrieve(instancePath(MR));
    expect(status).toBe(200);
    expect(pixelsOf(parts[0]!.body).syntax).toBe('1.2.840.10008.1.2.1');
  });

  it('answers 406, suggesting transfer-syntax=*, for a compression it cannot decode, and serves it as stored when asked', async () => {
    await stow(runtime.url, [fixture('JPEG-lossy.dcm')]);
    const refused = await retrieve(instancePath(NM), 'multipart/related; type="application/dicom"');
    expect(refused.status).toBe(406);
    expect(refused.body.toString()).toMatch(/transfer-syntax=\*/);
    const asStored = await retrieve(instancePath(NM), 'multipart/related; type="application/dicom"; transfer-syntax=*');
    expect(asStored.status).toBe(200);
    expect(asStored.parts[0]!.headers).toMatch(/transfer-syntax=1\.2\.840\.10008\.1\.2\.4\.51/);
    expect(sha256(asStored.parts[0]!.body)).toBe(sha256(fixture('JPEG-lossy.dcm')));
  });

  it('answers 406 for a transfer syntax it cannot produce', async () => {
    expect((await retrieve(instancePath(MR), 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.80')).status).toBe(406);
  });

  it('returns uncompressed frames in the order asked, decoding RLE', async () => {
    const { json } = await stow(runtime.url, [fixture(RGB_RLE.file)]);
    const url = String((json['00081199']!.Value![0] as Record<string, { Value: string[] }>)['00081190']!.Value[0]);
    const path = url.slice(url.indexOf('/studies') + '/studies'.length);
    const { status, type, parts } = await retrieve(`${path}/frames/2,1`, 'multipart/related; type="application/octet-stream"');
    expect(status).toBe(200);
    expect(type).toMatch(/type="application\/octet-stream"/);
    expect(parts.map((p) => p.body.length)).toEqual([100 * 100 * 3, 100 * 100 * 3]);
    expect(parts[0]!.headers).toMatch(/frames\/2/);
    expect(parts[0]!.body.equals(parts[1]!.body)).toBe(false);
    // Frame positions were recorded at ingest, so frames are read with ranged GETs.
    const [, studyUid, seriesUid, sopUid] = /studies\/([^/]+)\/series\/([^/]+)\/instances\/([^/]+)/.exec(url)!;
    const key = Keys.instance({ tenant: 'default', study: studyUid!, series: seriesUid!, sop: sopUid! });
    const item = await dynamoFor(runtime).send(new GetItemCommand({ TableName: runtime.names.table('index'), Key: { pk: { S: key.pk }, sk: { S: key.sk } } }));
    expect(item.Item?.frames?.L).toHaveLength(2);
    const stored = await retrieve(`${path}/frames/1`, 'multipart/related; type="application/octet-stream"; transfer-syntax=*');
    expect(stored.parts[0]!.headers).toMatch(/image\/dicom-rle/);
    expect((await retrieve(`${path}/frames/3`, 'multipart/related; type="application/octet-stream"')).status).toBe(404);
    expect((await retrieve(`${path}/frames/x`, 'multipart/related; type="application/octet-stream"')).status).toBe(400);
  });

  // Compressed frames as stored (PS3.18 8.7.3.5.2): the bytes of the frame's fragments, cut here by
  // dcmjs; and the same frame decoded, which for a lossless source must equal MR_small's native pixels.
  for (const [source, mediaType, ids] of [
    ['MR_small_jpeg_ls_lossless.dcm', 'image/jls', MR],
    ['MR_small_jp2klossless.dcm', 'image/jp2', MR],
    ['SC_rgb_jpeg_dcmtk.dcm', 'image/jpeg', RGB_JPEG],
  ] as const) {
    it(`returns a frame of ${source} as stored (${mediaType}) byte for byte, and decoded on request`, async () => {
      const bytes = fixture(source);
      expect((await stow(runtime.url, [bytes])).status).toBeLessThan(300);
      const file = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
      const frame = Buffer.from(file.dict['7FE00010']!.Value![0] as ArrayBuffer);
      const stored = await retrieve(`${instancePath(ids)}/frames/1`, `multipart/related; type="${mediaType}"`);
      expect(stored.status).toBe(200);
      expect(stored.parts).toHaveLength(1);
      expect(stored.parts[0]!.headers).toMatch(new RegExp(`content-type: *${mediaType.replace('/', '\\/')}`, 'i'));
      // A fragment is padded to even length; the frame is its bytes up to the padding.
      expect(sha256(stored.parts[0]!.body.subarray(0, frame.length))).toBe(sha256(frame));
      expect(stored.parts[0]!.body.length - frame.length).toBeLessThanOrEqual(1);
      const decoded = await retrieve(`${instancePath(ids)}/frames/1`, 'multipart/related; type="application/octet-stream"');
      expect(decoded.status).toBe(200);
      if (ids === MR) expect(sha256(decoded.parts[0]!.body)).toBe(reference.pixels);
      else expect(decoded.parts[0]!.body.length).toBe(Number(file.dict['00280010']!.Value![0]) * Number(file.dict['00280011']!.Value![0]) * Number(file.dict['00280002']!.Value![0]) * (Number(file.dict['00280100']!.Value![0]) / 8));
    });
  }

  it('returns native frames as slices of the pixel data', async () => {
    await stow(runtime.url, [fixture('MR_small.dcm')]);
    const { parts } = await retrieve(`${instancePath(MR)}/frames/1`);
    expect(parts[0]!.body.length).toBe(64 * 64 * 2);
  });

  it('returns full metadata whose every BulkDataURI resolves', async () => {
    for (const name of ['CT_small.dcm', 'waveform_ecg.dcm', 'SC_rgb_rle_2frame.dcm']) {
      const { json } = await stow(runtime.url, [fixture(name)]);
      const url = String((json['00081199']!.Value![0] as Record<string, { Value: string[] }>)['00081190']!.Value[0]);
      const [metadata] = (await (await fetch(`${url}/metadata`, { headers: { Accept: 'application/dicom+json' } })).json()) as Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>[];
      const uris: string[] = [];
      const collect = (dataset: Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>) => {
        for (const attribute of Object.values(dataset)) {
          if (attribute.BulkDataURI) uris.push(attribute.BulkDataURI);
          if (attribute.vr === 'SQ') for (const item of attribute.Value ?? []) collect(item as typeof dataset);
        }
      };
      collect(metadata!);
      expect(metadata!['7FE00010']?.BulkDataURI ?? metadata!['54000100']).toBeDefined();
      expect(uris.length).toBeGreaterThan(0);
      for (const uri of uris) {
        const response = await fetch(uri, { headers: { Accept: 'multipart/related; type="application/octet-stream"' } });
        expect(response.status, uri).toBe(200);
        const parts = multipartBodies(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!);
        expect(parts.length).toBeGreaterThan(0);
        expect(parts[0]!.body.length).toBeGreaterThan(0);
      }
    }
    const { json } = await stow(runtime.url, [fixture('CT_small.dcm')]);
    const url = String((json['00081199']!.Value![0] as Record<string, { Value: string[] }>)['00081190']!.Value[0]);
    const [ct] = (await (await fetch(`${url}/metadata`)).json()) as Record<string, { Value?: unknown[] }>[];
    expect(ct!['00200032']?.Value).toHaveLength(3); // ImagePositionPatient, which viewers need
    expect(ct!['00280030']?.Value).toHaveLength(2); // PixelSpacing
  });

  it('answers 304 to If-None-Match with the ETag it gave', async () => {
    const path = `${base}${instancePath(MR)}/metadata`;
    const first = await fetch(path);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await fetch(path, { headers: { 'If-None-Match': etag! } })).status).toBe(304);
    expect((await fetch(path, { headers: { 'If-None-Match': '"other"' } })).status).toBe(200);
  });

  it('compresses metadata when the client accepts gzip', async () => {
    const response = await fetch(`${base}${instancePath(MR)}/metadata`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(response.headers.get('content-encoding')).toBe('gzip');
    const [instance] = (await response.json()) as Record<string, { Value?: unknown[] }>[]; // fetch inflates it
    expect(instance!['00080018']?.Value).toEqual([MR.sop]);
  });

  it('answers 404 for a study that never existed', async () => {
    expect((await retrieve('/2.25.404404', 'multipart/related; type="application/dicom"')).status).toBe(404);
  });
});
