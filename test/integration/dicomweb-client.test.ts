import XMLHttpRequest from 'xhr2';
import { api } from 'dicomweb-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CT_SMALL, fixture, sha256 } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

// dicomweb-client (the library OHIF uses) speaks XMLHttpRequest; Node has none.
(globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest ??= XMLHttpRequest;

const arrayBuffer = (bytes: Buffer) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);

describe('dicomweb-client as the client: store, search, retrieve', () => {
  let runtime: TestRuntime;
  let client: InstanceType<typeof api.DICOMwebClient>;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    client = new api.DICOMwebClient({ url: `${runtime.url}/dicom-web`, headers: { Authorization: `Bearer ${runtime.testToken}` } });
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('stores instances with storeInstances', async () => {
    await client.storeInstances({ datasets: [arrayBuffer(fixture(CT_SMALL.file)), arrayBuffer(fixture('JPEG2000.dcm'))] });
  });

  it('finds them with searchForStudies, searchForSeries and searchForInstances', async () => {
    const studies = (await client.searchForStudies({ queryParams: { PatientName: 'CompressedSamples*' } })) as Record<string, { Value?: unknown[] }>[];
    expect(studies.map((s) => s['0020000D']?.Value?.[0])).toContain(CT_SMALL.study);
    const series = (await client.searchForSeries({ studyInstanceUID: CT_SMALL.study })) as Record<string, { Value?: unknown[] }>[];
    expect(series.map((s) => s['0020000E']?.Value?.[0])).toEqual([CT_SMALL.series]);
    const instances = (await client.searchForInstances({ studyInstanceUID: CT_SMALL.study, seriesInstanceUID: CT_SMALL.series })) as Record<string, { Value?: unknown[] }>[];
    expect(instances.map((i) => i['00080018']?.Value?.[0])).toEqual([CT_SMALL.sop]);
  });

  it('retrieves the stored bytes with retrieveInstance and metadata with retrieveStudyMetadata', async () => {
    const instance = (await client.retrieveInstance({ studyInstanceUID: CT_SMALL.study, seriesInstanceUID: CT_SMALL.series, sopInstanceUID: CT_SMALL.sop })) as ArrayBuffer;
    expect(sha256(Buffer.from(instance))).toBe(sha256(fixture(CT_SMALL.file)));
    const metadata = (await client.retrieveStudyMetadata({ studyInstanceUID: CT_SMALL.study })) as Record<string, { Value?: unknown[] }>[];
    expect(metadata[0]?.['00080018']?.Value).toEqual([CT_SMALL.sop]);
  });
});
