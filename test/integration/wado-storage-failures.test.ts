/**
 * WADO-RS when S3 fails (issue 8, point 11): a failure before the first byte is a 503 with
 * Retry-After, never a dropped connection; a failure after it cuts the response short, which
 * the client sees as an error, never as a complete answer. Faults come from the fidelity proxy.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const STUDY = '2.25.2002';
const SERIES = '2.25.2002.1';
const INSTANCES = [1, 2].map((n) => ({ study: STUDY, series: SERIES, sop: `${SERIES}.${n}` }));
const FILES = INSTANCES.map((uids) => synthesize('CT_small.dcm', uids));
const AS_STORED = { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' };

describe('WADO-RS when storage fails', () => {
  let runtime: TestRuntime;
  const fault = async (keyPrefix: string, extra: Record<string, unknown> = {}) => {
    const response = await fetch(`${runtime.url}/_local/s3/faults`, { method: 'POST', body: JSON.stringify({ keyPrefix, status: 503, code: 'SlowDown', ...extra }) });
    expect(response.status).toBe(200);
  };
  const seriesUrl = () => `${runtime.url}/dicom-web/studies/${STUDY}/series/${SERIES}`;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    expect((await stow(runtime.url, FILES)).status).toBe(200);
  });
  afterEach(async () => {
    await fetch(`${runtime.url}/_local/s3/faults`, { method: 'DELETE' });
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('answers 503 with Retry-After when the first object cannot be read, and 200 once storage recovers', async () => {
    await fault(`default/studies/${STUDY}/`);
    const refused = await fetch(seriesUrl(), { headers: AS_STORED });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { code: string }).code).toBe('StorageUnavailable');

    await fetch(`${runtime.url}/_local/s3/faults`, { method: 'DELETE' });
    const served = await fetch(seriesUrl(), { headers: AS_STORED });
    expect(served.status).toBe(200);
    const body = Buffer.from(await served.arrayBuffer());
    for (const file of FILES) expect(body.includes(file)).toBe(true);
  });

  it('rides out a brief throttle with the SDK retries', async () => {
    await fault(`default/studies/${STUDY}/`, { remaining: 1 });
    const served = await fetch(seriesUrl(), { headers: AS_STORED });
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).includes(FILES[0]!)).toBe(true);
  });

  it('answers 503 with Retry-After for frames and metadata whose objects cannot be read', async () => {
    await fault(`default/`);
    const instance = `${seriesUrl()}/instances/${INSTANCES[0]!.sop}`;
    for (const url of [`${instance}/frames/1`, `${instance}/metadata`, `${seriesUrl()}/metadata`]) {
      const response = await fetch(url);
      expect(response.status, url).toBe(503);
      expect(response.headers.get('retry-after'), url).toBeTruthy();
    }
  });

  it('cuts the response short, never completing it, when a later object fails mid-stream', async () => {
    await fault(`default/studies/${STUDY}/series/${SERIES}/instances/${INSTANCES[1]!.sop}/`);
    const started = await fetch(seriesUrl(), { headers: AS_STORED });
    expect(started.status).toBe(200);
    await expect(started.arrayBuffer()).rejects.toThrow();
  });
});
