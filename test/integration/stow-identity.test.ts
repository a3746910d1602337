/**
 * Instances whose dataset lacks its SOP Class or SOP Instance UID are stored as sent and
 * indexed under the file meta's (issue 10): a PACS pushing a folder of real files loses none
 * of them. Study and Series Instance UIDs have no fallback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, multipartBodies, sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { minimal } from '#test/helpers/synthetic.ts';

type Dataset = Record<string, { Value?: unknown[] }>;
const STUDY = '2.25.880000';
const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';

describe('STOW-RS of instances identified by their file meta', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('stores a dataset without (0008,0016) byte for byte with 0xB007, indexed under the meta SOP Class', async () => {
    const bytes = minimal({ study: STUDY, series: `${STUDY}.1`, sop: `${STUDY}.1.1`, remove: ['00080016'] });
    const { status, json, headers } = await stow(runtime.url, [bytes]);
    expect(status).toBe(202);
    const [item] = json['00081199']!.Value as Dataset[];
    expect(item!['00081196']?.Value).toEqual([0xb007]);
    expect(item!['00081150']?.Value).toEqual([SECONDARY_CAPTURE]);
    expect(headers.get('warning')).toMatch(/no SOPClassUID \(0008,0016\).*file meta's \(0002,0002\)/);

    const [found] = (await (await fetch(`${runtime.url}/dicom-web/studies/${STUDY}/instances`)).json()) as Dataset[];
    expect(found!['00080016']?.Value).toEqual([SECONDARY_CAPTURE]);
    const response = await fetch(`${runtime.url}/dicom-web/studies/${STUDY}/series/${STUDY}.1/instances/${STUDY}.1.1`, {
      headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    const [part] = multipartBodies(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!);
    expect(sha256(part!.body)).toBe(sha256(bytes));
  });

  it('stores a dataset without (0008,0018) under the meta SOP Instance UID', async () => {
    const bytes = minimal({ study: STUDY, series: `${STUDY}.1`, sop: `${STUDY}.1.2`, remove: ['00080018'] });
    const { status, json } = await stow(runtime.url, [bytes]);
    expect(status).toBe(202);
    expect(((json['00081199']!.Value as Dataset[])[0]!['00081155']?.Value)).toEqual([`${STUDY}.1.2`]);
  });

  it('refuses, with 0xA900 and the element named, what neither the dataset nor the meta identifies', async () => {
    for (const [bytes, element] of [
      [minimal({ study: STUDY, series: `${STUDY}.1`, sop: `${STUDY}.1.3`, remove: ['00080016'], removeMeta: ['00020002'] }), /SOPClassUID \(0008,0016\)/],
      [minimal({ study: STUDY, series: `${STUDY}.1`, sop: `${STUDY}.1.4`, remove: ['0020000E'] }), /SeriesInstanceUID \(0020,000E\)/],
      [fixture('charset_chrSQEncoding.dcm'), /StudyInstanceUID \(0020,000D\)/],
    ] as const) {
      const { status, json, headers } = await stow(runtime.url, [bytes]);
      expect(status).toBe(409);
      expect(((json['00081198']!.Value as Dataset[])[0]!['00081197']?.Value)).toEqual([0xa900]);
      expect(headers.get('warning')).toMatch(element);
    }
  });
});
