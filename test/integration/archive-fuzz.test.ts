/**
 * The running archive under fuzzed requests (fixed seed, bounded runs; `npm run fuzz` runs
 * longer): no 5xx, no crash, no request over 2 s, nothing stored from refused input, and
 * what was stored before the run served byte-identical after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzArchive } from '#test/fuzz/archive-fuzz.ts';
import { s3For } from '#test/helpers/aws.ts';
import { multipartBodies, sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const STUDY = '2.25.515151';
const STORED = [1, 2, 3].map((i) => ({ series: `${STUDY}.1`, sop: `${STUDY}.1.${i}` }));

describe('Fuzzing the running archive', () => {
  let runtime: TestRuntime;
  const files = STORED.map((id) => synthesize('CT_small.dcm', { study: STUDY, ...id }));

  beforeAll(async () => {
    runtime = await startTestRuntime();
    expect((await stow(runtime.url, files)).status).toBe(200);
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('answers every malformed request with a 4xx or a result, quickly, and loses nothing', { timeout: 120_000 }, async () => {
    const stats = await fuzzArchive({ url: runtime.url, s3: s3For(runtime), bucket: runtime.names.bucket('archive') }, { seed: 20261201, numRuns: 150 });
    expect(stats.requests).toBeGreaterThanOrEqual(150 * 3);
    expect(Object.keys(stats.statuses).filter((status) => Number(status) >= 500 && status !== '501')).toEqual([]);

    const response = await fetch(`${runtime.url}/dicom-web/studies/${STUDY}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
    const served = multipartBodies(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!).map((part) => sha256(part.body));
    expect(served.sort()).toEqual(files.map(sha256).sort());
  });
});
