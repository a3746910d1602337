import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize, type SyntheticUids } from '#test/helpers/synthetic.ts';

type Dataset = Record<string, { vr: string; Value?: unknown[] }>;

interface StudySpec {
  uid: string;
  name: string;
  pid: string;
  date: string;
  time: string;
  accession: string;
  series: { modality: string; instances: number }[];
}

const STUDIES: StudySpec[] = [
  { uid: '2.25.11', name: 'DOE^JOHN', pid: 'P1', date: '20200115', time: '101500', accession: 'ACC1', series: [{ modality: 'CT', instances: 2 }, { modality: 'SR', instances: 1 }] },
  { uid: '2.25.12', name: 'DOE^JANE', pid: 'P2', date: '20210301', time: '090000', accession: 'ACC2', series: [{ modality: 'MR', instances: 1 }] },
  { uid: '2.25.13', name: 'SMITH^JOHN', pid: 'P1', date: '20190101', time: '235959', accession: 'ACC3', series: [{ modality: 'CT', instances: 1 }] },
  { uid: '2.25.14', name: 'Müller^Jürgen', pid: 'P4', date: '20220202', time: '120000', accession: 'ACC4', series: [{ modality: 'CR', instances: 1 }] },
  { uid: '2.25.15', name: 'ROE^RICHARD', pid: 'P5', date: '20200115', time: '080000', accession: 'ACC5', series: [{ modality: 'US', instances: 1 }] },
];

function files(spec: StudySpec): Buffer[] {
  return spec.series.flatMap((series, s) =>
    Array.from({ length: series.instances }, (_, i) => {
      const uids: SyntheticUids = {
        study: spec.uid,
        series: `${spec.uid}.${s + 1}`,
        sop: `${spec.uid}.${s + 1}.${i + 1}`,
        patientName: spec.name,
        patientId: spec.pid,
        studyDate: spec.date,
        modality: series.modality,
        instanceNumber: i + 1,
        extra: {
          '00080030': ['TM', spec.time],
          '00080050': ['SH', spec.accession],
          '00081030': ['LO', `Study of ${spec.pid}`],
          '00200011': ['IS', s + 1],
          '00400275': ['SQ', { '00401001': { vr: 'SH', Value: [`RP-${spec.pid}-${s + 1}`] } }],
        },
      };
      return synthesize('CT_small.dcm', uids);
    }),
  );
}

describe('QIDO-RS matching, paging and query planning', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    for (const spec of STUDIES) expect((await stow(runtime.url, files(spec))).status).toBe(200);
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  async function qido(path: string): Promise<{ status: number; body: Dataset[]; headers: Headers }> {
    const response = await fetch(`${runtime.url}/dicom-web${path}`, { headers: { Accept: 'application/dicom+json' } });
    const text = await response.text();
    return { status: response.status, body: text.startsWith('[') ? (JSON.parse(text) as Dataset[]) : [], headers: response.headers };
  }
  const uids = async (path: string) => {
    const { status, body } = await qido(path);
    expect(status).toBe(200);
    return body.map((d) => String(d['0020000D']?.Value?.[0]));
  };

  it('matches PN with a trailing wildcard, ignoring case: DOE^J* finds DOE^JOHN and DOE^JANE', async () => {
    expect((await uids('/studies?PatientName=DOE^J*')).sort()).toEqual(['2.25.11', '2.25.12']);
    expect((await uids('/studies?PatientName=doe^j*')).sort()).toEqual(['2.25.11', '2.25.12']);
    expect(await uids('/studies?PatientName=DOE^JOHN')).toEqual(['2.25.11']);
    expect(await uids('/studies?00100010=SMITH?JOHN')).toEqual(['2.25.13']);
  });

  it('matches names fuzzily: any component, any order, no accents', async () => {
    expect((await uids('/studies?PatientName=john&fuzzymatching=true')).sort()).toEqual(['2.25.11', '2.25.13']);
    expect(await uids('/studies?PatientName=muller%20jurg&fuzzymatching=true')).toEqual(['2.25.14']);
    expect(await uids('/studies?PatientName=muller')).toEqual([]);
  });

  it('matches date ranges open at either end, and ISO dates', async () => {
    expect(await uids('/studies?StudyDate=20210101-')).toEqual(['2.25.14', '2.25.12']);
    expect(await uids('/studies?StudyDate=-20191231')).toEqual(['2.25.13']);
    expect(await uids('/studies?StudyDate=20200101-20201231')).toEqual(['2.25.11', '2.25.15']);
    expect(await uids('/studies?StudyDate=2020-01-15')).toEqual(['2.25.11', '2.25.15']);
  });

  it('treats StudyDate and StudyTime ranges as one date-time range', async () => {
    expect(await uids('/studies?StudyDate=20200115-20200115&StudyTime=090000-')).toEqual(['2.25.11']);
    expect(await uids('/studies?StudyDate=20190101-20200115&StudyTime=235900-090000')).toEqual(['2.25.15', '2.25.13']);
  });

  it('matches ModalitiesInStudy when any series matches, with CT,MR and CT\\MR lists', async () => {
    expect(await uids('/studies?ModalitiesInStudy=MR')).toEqual(['2.25.12']);
    expect((await uids('/studies?ModalitiesInStudy=CT,MR')).sort()).toEqual(['2.25.11', '2.25.12', '2.25.13']);
    expect((await uids('/studies?ModalitiesInStudy=CT%5CMR')).sort()).toEqual(['2.25.11', '2.25.12', '2.25.13']);
  });

  it('finds studies by PatientID newest first, by AccessionNumber and by a UID list', async () => {
    expect(await uids('/studies?PatientID=P1')).toEqual(['2.25.11', '2.25.13']);
    expect(await uids('/studies?AccessionNumber=ACC2')).toEqual(['2.25.12']);
    expect((await uids('/studies?StudyInstanceUID=2.25.13,2.25.14')).sort()).toEqual(['2.25.13', '2.25.14']);
    expect(await uids('/studies?PatientID=P?')).toHaveLength(5);
    expect(await uids('/studies?PatientID=P??')).toEqual([]);
  });

  it('matches a list of PatientIDs or AccessionNumbers as any of them (backslash or comma)', async () => {
    expect((await uids('/studies?PatientID=P1%5CP2')).sort()).toEqual(['2.25.11', '2.25.12', '2.25.13']);
    expect((await uids('/studies?PatientID=P2,P5')).sort()).toEqual(['2.25.12', '2.25.15']);
    expect((await uids('/studies?AccessionNumber=ACC1%5CACC4')).sort()).toEqual(['2.25.11', '2.25.14']);
  });

  it('returns computed attributes and the default, matched and included attributes', async () => {
    const { body } = await qido('/studies?00100020=P1&includefield=00081030,PatientBirthDate&StudyDate=20200115');
    expect(body).toHaveLength(1);
    const study = body[0]!;
    expect(study['00201206']?.Value).toEqual([2]);
    expect(study['00201208']?.Value).toEqual([3]);
    expect(study['00080061']?.Value).toEqual(['CT', 'SR']);
    expect(study['00081030']?.Value).toEqual(['Study of P1']);
    expect(study['00100030']).toEqual({ vr: 'DA' }); // Type 2, unknown: present and empty
    expect(study['00081190']?.Value?.[0]).toBe(`${runtime.url}/dicom-web/studies/2.25.11`);
    const all = (await qido('/studies?StudyInstanceUID=2.25.11&includefield=all')).body[0]!;
    expect(Object.keys(all).length).toBeGreaterThan(Object.keys(study).length - 1);
  });

  it('searches series and instances within a study, and across studies with a study key', async () => {
    const series = (await qido('/studies/2.25.11/series')).body;
    expect(series.map((s) => s['00080060']?.Value?.[0])).toEqual(['CT', 'SR']);
    expect(series[0]!['00201209']?.Value).toEqual([2]);
    expect((await qido('/studies/2.25.11/series?Modality=SR')).body).toHaveLength(1);
    const instances = (await qido('/studies/2.25.11/series/2.25.11.1/instances')).body;
    expect(instances.map((i) => i['00200013']?.Value?.[0])).toEqual([1, 2]);
    expect((await qido('/studies/2.25.11/instances')).body).toHaveLength(3);
    expect((await qido('/series?PatientID=P1&Modality=CT')).body.map((s) => s['0020000E']?.Value?.[0])).toEqual(['2.25.11.1', '2.25.13.1']);
    expect((await qido('/instances?SOPInstanceUID=2.25.12.1.1')).body.map((i) => i['0020000D']?.Value?.[0])).toEqual(['2.25.12']);
    expect((await qido('/series?SeriesInstanceUID=2.25.13.1')).body).toHaveLength(1);
    // A list of SOP Instance UIDs in a series (their keys are known), with one absent and one
    // of another series; and a list across studies.
    const listed = await qido('/studies/2.25.11/series/2.25.11.1/instances?SOPInstanceUID=2.25.11.1.2,2.25.11.1.9,2.25.11.2.1,2.25.11.1.1');
    expect(listed.headers.get('x-strata-query-plan')).toBe('instances-by-key');
    expect(listed.body.map((i) => i['00080018']?.Value?.[0])).toEqual(['2.25.11.1.1', '2.25.11.1.2']);
    const across = await qido('/instances?SOPInstanceUID=2.25.13.1.1,2.25.12.1.1,2.25.99.1.1,2.25.11.2.1');
    expect(across.body.map((i) => i['00080018']?.Value?.[0]).sort()).toEqual(['2.25.11.2.1', '2.25.12.1.1', '2.25.13.1.1']);
  });

  it('matches inside sequences: RequestAttributesSequence > RequestedProcedureID', async () => {
    const { body } = await qido('/studies/2.25.11/series?00400275.00401001=RP-P1-2');
    expect(body.map((s) => s['0020000E']?.Value?.[0])).toEqual(['2.25.11.2']);
    expect((await qido('/studies/2.25.11/series?RequestAttributesSequence.RequestedProcedureID=RP-P1-*')).body).toHaveLength(2);
  });

  it('pages with limit and offset, returning every match exactly once, and warns when more remain', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 10; offset += 2) {
      const page = await qido(`/studies?limit=2&offset=${offset}`);
      seen.push(...page.body.map((d) => String(d['0020000D']?.Value?.[0])));
      if (offset + 2 < STUDIES.length) expect(page.headers.get('warning')).toMatch(/more than 2 matches/);
    }
    expect(seen.sort()).toEqual(STUDIES.map((s) => s.uid).sort());
  });

  it('treats an empty value or * as universal matching, returning the attribute', async () => {
    for (const query of ['/studies?PatientName=*', '/studies?PatientName=', '/studies?PatientName=**&StudyDate=']) {
      const { status, body } = await qido(query);
      expect(status, query).toBe(200);
      expect(body).toHaveLength(STUDIES.length);
      expect(body.every((d) => '00100010' in d)).toBe(true);
    }
  });

  it('answers 200 [] when nothing matches', async () => {
    const { status, body } = await qido('/studies?PatientID=NOBODY');
    expect(status).toBe(200);
    expect(body).toEqual([]);
  });

  it('ignores unknown attributes with a Warning, and refuses malformed parameters with 400', async () => {
    const unknown = await qido('/studies?NotAKeyword=1&PatientID=P2');
    expect(unknown.status).toBe(200);
    expect(unknown.headers.get('warning')).toMatch(/NotAKeyword/);
    expect((await qido('/studies?limit=ten')).status).toBe(400);
    expect((await qido('/studies?StudyDate=yesterday')).status).toBe(400);
  });

  it('refuses, with the keys to add, shapes that would need a table scan', async () => {
    const series = await fetch(`${runtime.url}/dicom-web/series?Modality=CT`);
    expect(series.status).toBe(400);
    expect(((await series.json()) as { message: string }).message).toMatch(/PatientID/);
    expect((await qido('/studies?PatientName=*OE')).status).toBe(400);
  });

  it('serves each shape from a designed key and reports the read units it used', async () => {
    const shapes: [string, string][] = [
      ['/studies?StudyInstanceUID=2.25.11', 'studies-by-uid'],
      ['/studies?PatientID=P1', 'studies-by-patient'],
      ['/studies?AccessionNumber=ACC1', 'studies-by-accession'],
      ['/studies?PatientName=DOE*', 'studies-by-name'],
      ['/studies?StudyDate=20200101-', 'studies-by-date'],
      ['/studies/2.25.11/series', 'series-of-study'],
      ['/instances?SOPInstanceUID=2.25.11.1.1', 'instances-by-sop'],
    ];
    for (const [path, plan] of shapes) {
      const { headers } = await qido(path);
      expect(headers.get('x-strata-query-plan')).toBe(plan);
      expect(Number(headers.get('x-strata-read-units'))).toBeGreaterThan(0);
    }
  });
});
