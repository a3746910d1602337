/**
 * WADO-RS rendered and thumbnail resources: the pixels a viewer gets are compared with a
 * reference the test computes itself from the stored values (PS3.3 C.11.2 windowing).
 */
import { inflateSync } from 'node:zlib';
import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWithWasm } from '#core/codecs/wasm-codecs.ts';
import { fixture, multipartBodies, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const STUDY = '2.25.660000';
const MR = { series: `${STUDY}.1`, sop: `${STUDY}.1.1` };
const CT = { series: `${STUDY}.2`, sop: `${STUDY}.2.1` };
const RGB = { series: `${STUDY}.3`, sop: `${STUDY}.3.1` };
const RLE = { series: `${STUDY}.3`, sop: `${STUDY}.3.2` };

/** A test-side PNG reader: 8-bit grey or RGB, filter type 0 (what a minimal writer emits). */
function readPng(png: Buffer): { width: number; height: number; channels: number; data: Buffer } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      channels = data[9] === 2 ? 3 : 1;
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)]).toBe(0);
    raw.copy(out, y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1));
  }
  return { width, height, channels, data: out };
}

/** The stored pixel values of a native grey fixture, read with dcmjs. */
function storedValues(name: string): { values: number[]; dict: Record<string, { Value?: unknown[] }> } {
  const bytes = fixture(name);
  const { dict } = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
  const signed = dict['00280103']?.Value?.[0] === 1;
  const pixels = dict['7FE00010']!.Value![0] as ArrayBuffer;
  return { values: [...(signed ? new Int16Array(pixels) : new Uint16Array(pixels))], dict };
}

describe('WADO-RS rendered resources and thumbnails', () => {
  let runtime: TestRuntime;
  const instance = (id: { series: string; sop: string }) => `${runtime.url}/dicom-web/studies/${STUDY}/series/${id.series}/instances/${id.sop}`;
  const get = async (url: string, accept: string) => {
    const response = await fetch(url, { headers: { Accept: accept } });
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: Buffer.from(await response.arrayBuffer()) };
  };

  beforeAll(async () => {
    runtime = await startTestRuntime();
    const files = [
      synthesize('MR_small.dcm', { study: STUDY, ...MR }),
      synthesize('CT_small.dcm', { study: STUDY, ...CT }),
      synthesize('SC_rgb_small_odd.dcm', { study: STUDY, ...RGB, extra: { '00200011': ['IS', 3] } }),
      synthesize('SC_rgb_rle_2frame.dcm', { study: STUDY, ...RLE, extra: { '00200011': ['IS', 3] } }),
    ];
    expect((await stow(runtime.url, files)).status).toBe(200);
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('windows a signed MR image with its Window Center/Width (LINEAR) into the PNG it returns', async () => {
    const { status, type, body } = await get(`${instance(MR)}/rendered`, 'image/png');
    expect(status).toBe(200);
    expect(type).toBe('image/png');
    const png = readPng(body);
    expect([png.width, png.height, png.channels]).toEqual([64, 64, 1]);
    const { values } = storedValues('MR_small.dcm');
    const [c, w] = [600, 1600];
    const expected = values.map((x) => (x <= c - 0.5 - (w - 1) / 2 ? 0 : x > c - 0.5 + (w - 1) / 2 ? 255 : Math.round(((x - (c - 0.5)) / (w - 1) + 0.5) * 255)));
    expect([...png.data]).toEqual(expected);
  });

  it('applies the rescale and, without a window in the dataset, the frame range; a window parameter overrides', async () => {
    const { values, dict } = storedValues('CT_small.dcm');
    const slope = Number(dict['00281053']?.Value?.[0] ?? 1);
    const intercept = Number(dict['00281052']?.Value?.[0] ?? 0);
    const hu = values.map((v) => v * slope + intercept);
    const [min, max] = [Math.min(...hu), Math.max(...hu)];
    const auto = readPng((await get(`${instance(CT)}/rendered`, 'image/png')).body);
    const expectedAuto = hu.map((x) => Math.round(((x - min) / (max - min)) * 255));
    expect(auto.data.every((value, i) => Math.abs(value - expectedAuto[i]!) <= 1)).toBe(true);

    const lung = readPng((await get(`${instance(CT)}/rendered?window=-600,1500,linear-exact`, 'image/png')).body);
    const expectedLung = hu.map((x) => (x <= -1350 ? 0 : x > 150 ? 255 : Math.round(((x + 600) / 1500 + 0.5) * 255)));
    expect([...lung.data]).toEqual(expectedLung);
  });

  it('sends JPEG by default, close to the same reference', async () => {
    const { status, type, body } = await get(`${instance(MR)}/rendered`, '*/*');
    expect(status).toBe(200);
    expect(type).toBe('image/jpeg');
    const decoded = await decodeWithWasm('jpeg', body);
    const reference = readPng((await get(`${instance(MR)}/rendered`, 'image/png')).body).data;
    const channels = decoded.pixels.length / reference.length;
    const meanError = reference.reduce((sum, value, i) => sum + Math.abs(decoded.pixels[i * channels]! - value), 0) / reference.length;
    expect(decoded.width).toBe(64);
    expect(meanError).toBeLessThan(3);
  });

  it('renders RGB as stored, and each frame of a multi-frame RLE object by itself', async () => {
    const rgb = readPng((await get(`${instance(RGB)}/rendered`, 'image/png')).body);
    const source = fixture('SC_rgb_small_odd.dcm');
    const { dict } = dcmjs.data.DicomMessage.readFile(source.buffer.slice(source.byteOffset, source.byteOffset + source.length) as ArrayBuffer);
    expect([...rgb.data]).toEqual([...new Uint8Array(dict['7FE00010']!.Value![0] as ArrayBuffer)].slice(0, 27));

    const frames = await Promise.all([1, 2].map(async (n) => readPng((await get(`${instance(RLE)}/frames/${n}/rendered`, 'image/png')).body)));
    const native = await get(`${instance(RLE)}/frames/1,2`, 'multipart/related; type="application/octet-stream"');
    const decoded = multipartBodies(native.body, native.type).map((part) => part.body);
    expect(frames.map((f) => [f.width, f.height, f.channels])).toEqual([[100, 100, 3], [100, 100, 3]]);
    expect(frames.map((f) => f.data)).toEqual(decoded);
    expect(frames[0]!.data.equals(frames[1]!.data)).toBe(false);

    const both = await get(`${instance(RLE)}/rendered`, 'multipart/related; type="image/png"');
    expect(multipartBodies(both.body, both.type).map((part) => readPng(part.body).data)).toEqual(decoded);
  });

  it('gives study and series thumbnails from a representative instance, within the viewport', async () => {
    const series = readPng((await get(`${runtime.url}/dicom-web/studies/${STUDY}/series/${CT.series}/thumbnail?viewport=32,32`, 'image/png')).body);
    expect([series.width, series.height]).toEqual([32, 32]);
    const study = await get(`${runtime.url}/dicom-web/studies/${STUDY}/thumbnail`, 'image/jpeg');
    expect(study.status).toBe(200);
    expect((await decodeWithWasm('jpeg', study.body)).width).toBeLessThanOrEqual(128);
  });

  it('encodes tiny JPEGs (a 2×2 viewport, a 3×3 image) and keeps rendering afterwards', async () => {
    for (const url of [`${instance(MR)}/rendered?viewport=2,2`, `${instance(MR)}/rendered?viewport=1,1`, `${instance(RGB)}/rendered`, `${instance(MR)}/rendered`]) {
      const { status, type, body } = await get(url, 'image/jpeg');
      expect(status, url).toBe(200);
      expect(type).toBe('image/jpeg');
      expect((await decodeWithWasm('jpeg', body)).width).toBeGreaterThan(0);
    }
  });

  it('answers 406 for types it does not render and 400 for bad parameters', async () => {
    expect((await get(`${instance(MR)}/rendered`, 'image/gif')).status).toBe(406);
    expect((await get(`${instance(MR)}/rendered`, 'application/dicom')).status).toBe(406);
    expect((await get(`${instance(MR)}/rendered?window=1,0`, 'image/png')).status).toBe(400);
    expect((await get(`${instance(MR)}/rendered?viewport=0,10`, 'image/png')).status).toBe(400);
    expect((await get(`${instance(MR)}/frames/2/rendered`, 'image/png')).status).toBe(404);
  });
});
