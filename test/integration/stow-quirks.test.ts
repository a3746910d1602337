import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CT_SMALL, fixture } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

type Dataset = Record<string, { Value?: unknown[] }>;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** The test client's token (set once the runtime runs): raw requests bypass the fetch that adds it. */
let token = '';

/** Sends a request exactly as written: raw header names, optional chunking and Expect: 100-continue. */
function send(url: string, headers: Record<string, string>, body: Buffer, options: { chunked?: boolean; expectContinue?: boolean } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const allHeaders: Record<string, string> = { authorization: `Bearer ${token}`, ...headers };
    if (options.expectContinue) allHeaders.Expect = '100-continue';
    if (!options.chunked) allHeaders['Content-Length'] = String(body.length);
    const req = request({ hostname: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: allHeaders }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    const write = () => {
      if (options.chunked) {
        for (let i = 0; i < body.length; i += 7000) req.write(body.subarray(i, i + 7000));
        req.end();
      } else req.end(body);
    };
    if (options.expectContinue) req.on('continue', write);
    else write();
  });
}

const part = (bytes: Uint8Array, headers = 'Content-Type: application/dicom\r\n') => Buffer.concat([Buffer.from(headers + '\r\n'), bytes]);

function body(boundary: string, parts: Uint8Array[], { preamble = '', closingCrlf = true } = {}): Buffer {
  const chunks: Uint8Array[] = [Buffer.from(preamble)];
  for (const p of parts) chunks.push(Buffer.from(`--${boundary}\r\n`), p, Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${boundary}--${closingCrlf ? '\r\n' : ''}`));
  return Buffer.concat(chunks);
}

describe('STOW-RS accepts what real clients send, and refuses bad requests clearly', () => {
  let runtime: TestRuntime;
  let url: string;
  let n = 0;
  const fresh = () => synthesize('CT_small.dcm', { study: '2.25.77', series: '2.25.77.1', sop: `2.25.77.1.${++n}` });

  beforeAll(async () => {
    runtime = await startTestRuntime();
    token = runtime.testToken;
    url = `${runtime.url}/dicom-web/studies`;
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  const stored = (response: RawResponse) => ((JSON.parse(response.body) as Dataset)['00081199']?.Value ?? []).length;

  it('accepts an unquoted type, a quoted boundary and parameters in any order', async () => {
    const response = await send(url, { 'Content-Type': 'multipart/related; boundary="q b"; type=application/dicom' }, body('q b', [part(fresh())]));
    expect(response.status).toBe(200);
    expect(stored(response)).toBe(1);
  });

  it('accepts lower-case headers, parts without headers, a preamble and no final CRLF', async () => {
    const response = await send(
      url,
      { 'content-type': 'multipart/related; type="application/dicom"; boundary=XYZ', accept: 'application/dicom+json' },
      body('XYZ', [part(fresh(), ''), part(fresh(), 'content-type: application/dicom\r\n')], { preamble: 'This is a preamble.\r\n', closingCrlf: false }),
    );
    expect(response.status).toBe(200);
    expect(stored(response)).toBe(2);
  });

  it('accepts a chunked body without Content-Length, sent after Expect: 100-continue', async () => {
    const response = await send(url, { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=B' }, body('B', [part(fresh())]), {
      chunked: true,
      expectContinue: true,
    });
    expect(response.status).toBe(200);
    expect(stored(response)).toBe(1);
  });

  it('stores the same instance twice once, answering 200 both times', async () => {
    const bytes = fresh();
    for (let i = 0; i < 2; i++) {
      const response = await send(url, { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=B' }, body('B', [part(bytes)]));
      expect(response.status).toBe(200);
    }
    const [study] = (await (await fetch(`${url}?StudyInstanceUID=2.25.77`)).json()) as Dataset[];
    expect(study!['00201208']?.Value).toEqual([n]);
  });

  it('counts every instance exactly once when many requests store into one new series at the same time', async () => {
    const files = Array.from({ length: 12 }, (_, i) => synthesize('CT_small.dcm', { study: '2.25.88', series: '2.25.88.1', sop: `2.25.88.1.${i + 1}` }));
    const responses = await Promise.all(
      [...files, ...files.slice(0, 4)].map((file) => send(url, { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=B' }, body('B', [part(file)]))),
    );
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    const [study] = (await (await fetch(`${url}?StudyInstanceUID=2.25.88`)).json()) as Dataset[];
    expect(study!['00201208']?.Value).toEqual([12]);
    expect(study!['00201206']?.Value).toEqual([1]);
  });

  it('answers 409 with reason 0xA901 for an instance of another study posted to /studies/{study}', async () => {
    const response = await send(`${url}/2.25.999`, { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=B' }, body('B', [part(fixture(CT_SMALL.file))]));
    expect(response.status).toBe(409);
    const failed = (JSON.parse(response.body) as Dataset)['00081198']?.Value as Dataset[];
    expect(failed[0]!['00081197']?.Value).toEqual([0xa901]);
  });

  it('answers 202 when some parts are stored and others are not', async () => {
    const response = await send(url, { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=B' }, body('B', [part(fresh()), part(fixture('MR_truncated.dcm'))]));
    expect(response.status).toBe(202);
    const json = JSON.parse(response.body) as Dataset;
    expect(json['00081199']?.Value).toHaveLength(1);
    expect((json['00081198']?.Value as Dataset[])[0]!['00081197']?.Value).toEqual([0xc000]);
  });

  it('answers with the PS3.19 XML model when the client asks for application/dicom+xml', async () => {
    const response = await send(url, { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=B', Accept: 'application/dicom+xml' }, body('B', [part(fresh())]));
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/dicom+xml');
    expect(response.body).toMatch(/<NativeDicomModel xmlns="http:\/\/dicom.nema.org\/PS3.19\/models\/NativeDICOM">/);
    expect(response.body).toMatch(/<DicomAttribute tag="00081199" vr="SQ" keyword="ReferencedSOPSequence"><Item number="1">/);
  });

  it('answers 415 for a body that is not multipart/related DICOM', async () => {
    expect((await send(url, { 'Content-Type': 'application/json' }, Buffer.from('{}'))).status).toBe(415);
    expect((await send(url, { 'Content-Type': 'multipart/related; type="application/dicom+json"; boundary=B' }, body('B', [Buffer.from('\r\n[]')]))).status).toBe(415);
  });

  it('answers 400 for a malformed multipart body', async () => {
    const response = await send(url, { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=B' }, Buffer.from('garbage without parts'));
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(/boundary/);
    expect(response.headers['access-control-allow-origin']).toBe('*');
  });

  it('answers 413 for a body over API Gateway’s limit, saying what to do and where large requests go', async () => {
    const big = Buffer.alloc(11 * 1024 * 1024, 1);
    const response = await send(url, { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=B' }, body('B', [part(big)]));
    expect(response.status).toBe(413);
    const { message } = JSON.parse(response.body) as { message: string };
    expect(message).toMatch(/fewer instances per STOW-RS request/);
    // The local runtime always has a data plane; its URL is in the answer (as the deployed one's is).
    expect(message).toMatch(/data plane, same paths, no size limit: http:\/\/127\.0\.0\.1:\d+\/dicom-web/);
  });
});
