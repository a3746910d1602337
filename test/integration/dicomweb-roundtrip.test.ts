import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKEN, fixture, fixtureNames, multipartBodies, sha256, stow } from '#test/helpers/dicom.ts';
import { tagKeysAscending } from '#test/helpers/json-key-order.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';


/** Stored, with WarningReason 0xB007: their file meta names another SOP Instance than the dataset. */
const META_MISMATCH = new Set(['badVR.dcm', 'rtdose.dcm', 'rtdose_1frame.dcm', 'rtdose_expb.dcm', 'rtdose_expb_1frame.dcm', 'rtdose_rle.dcm', 'rtdose_rle_1frame.dcm', 'rtplan.dcm']);

type Dataset = Record<string, { vr: string; Value?: unknown[] }>;

const text = (dataset: Dataset, tag: string) => String(dataset[tag]?.Value?.[0] ?? '');

function expectDicomJson(dataset: Dataset): void {
  for (const [tag, attribute] of Object.entries(dataset)) {
    expect(tag).toMatch(/^[0-9A-F]{8}$/);
    expect(attribute.vr).toMatch(/^[A-Z]{2}$/);
    if ('Value' in attribute) expect(Array.isArray(attribute.Value)).toBe(true);
  }
}

describe('DICOMweb round trip of every fixture: STOW → QIDO at three levels → WADO bytes and metadata', () => {
  let runtime: TestRuntime;
  let base: string;
  /** SOP Instance UID → SHA-256 of what this run stored (some fixtures share UIDs). */
  const storedVersions = new Map<string, string>();

  beforeAll(async () => {
    runtime = await startTestRuntime();
    base = `${runtime.url}/dicom-web`;
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  const get = async (path: string, accept = 'application/dicom+json') => fetch(`${base}${path}`, { headers: { Accept: accept } });
  /** A DICOM JSON response, checked to list attributes in ascending tag order. */
  const getJson = async (path: string): Promise<Dataset[]> => {
    const text = await (await get(path)).text();
    expect(tagKeysAscending(text), path).toBe(true);
    return JSON.parse(text) as Dataset[];
  };

  for (const name of fixtureNames()) {
    if (name in BROKEN) {
      it(`refuses ${name} with failure reason 0x${BROKEN[name]!.toString(16).toUpperCase()} and stores nothing`, async () => {
        const { status, json } = await stow(runtime.url, [fixture(name)]);
        expect(status).toBe(409);
        const failed = json['00081198']?.Value as Dataset[];
        expect(failed).toHaveLength(1);
        expect(failed[0]!['00081197']?.Value).toEqual([BROKEN[name]]);
        expect(json['00081199']).toBeUndefined();
      });
      continue;
    }
    it(`stores ${name} byte for byte and finds it again`, async () => {
      const bytes = fixture(name);
      const { status, json } = await stow(runtime.url, [bytes]);
      expect([200, 202]).toContain(status);
      const referenced = (json['00081199']?.Value ?? []) as Dataset[];
      expect(referenced).toHaveLength(1);
      const retrieveUrl = text(referenced[0]!, '00081190');
      const [, study, series, sop] = /studies\/([^/]+)\/series\/([^/]+)\/instances\/([^/]+)$/.exec(retrieveUrl)! as unknown as string[];
      // A new version of an instance stored earlier (0xB00E) outranks a meta mismatch (0xB007).
      const previous = storedVersions.get(sop!);
      const expectedWarning = previous && previous !== sha256(bytes) ? 0xb00e : META_MISMATCH.has(name) ? 0xb007 : undefined;
      expect(referenced[0]!['00081196']?.Value?.[0]).toBe(expectedWarning);
      expect(status).toBe(expectedWarning === undefined ? 200 : 202);
      storedVersions.set(sop!, sha256(bytes));

      const studies = await getJson(`/studies?StudyInstanceUID=${study}`);
      expect(studies.map((s) => text(s, '0020000D'))).toEqual([study]);
      const seriesList = await getJson(`/studies/${study}/series?SeriesInstanceUID=${series}`);
      expect(seriesList.map((s) => text(s, '0020000E'))).toEqual([series]);
      const instances = await getJson(`/studies/${study}/series/${series}/instances?SOPInstanceUID=${sop}`);
      expect(instances.map((i) => text(i, '00080018'))).toEqual([sop]);
      for (const dataset of [...studies, ...seriesList, ...instances]) expectDicomJson(dataset);

      const wado = await get(`/studies/${study}/series/${series}/instances/${sop}`, 'multipart/related; type="application/dicom"; transfer-syntax=*');
      expect(wado.status).toBe(200);
      const parts = multipartBodies(Buffer.from(await wado.arrayBuffer()), wado.headers.get('content-type')!);
      expect(parts).toHaveLength(1);
      expect(sha256(parts[0]!.body)).toBe(sha256(bytes));

      expect((await get(`/studies/${study}/series/${series}/instances/${sop}/metadata`)).headers.get('content-type')).toContain('application/dicom+json');
      const [instance] = await getJson(`/studies/${study}/series/${series}/instances/${sop}/metadata`);
      expectDicomJson(instance!);
      expect(text(instance!, '00080018')).toBe(sop);
    });
  }

  it('returns names in ISO 2022 IR 87 as UTF-8 JSON with their three component groups', async () => {
    await stow(runtime.url, [fixture('charset_chrH31.dcm')]);
    const [study] = (await (await get('/studies?PatientName=Yamada*')).json()) as Dataset[];
    expect(study!['00100010']!.Value![0]).toEqual({ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' });
  });

  it('returns Latin-1 and Cyrillic names decoded', async () => {
    await stow(runtime.url, [fixture('charset_chrFren.dcm'), fixture('charset_chrRuss.dcm')]);
    const french = (await (await get('/studies?PatientName=buc*')).json()) as Dataset[];
    expect(french.map((s) => (s['00100010']!.Value![0] as { Alphabetic: string }).Alphabetic)).toContain('Buc^Jérôme');
    const russian = (await (await get(`/studies?PatientName=${encodeURIComponent('Люк*')}`)).json()) as Dataset[];
    expect(russian.map((s) => (s['00100010']!.Value![0] as { Alphabetic: string }).Alphabetic)).toContain('Люкceмбypг');
  });
});
