/**
 * Fuzzing the running archive over HTTP (issue 8): malformed multipart, truncated and
 * bit-flipped real files, hostile query strings and paths. Invariants, for every request:
 * an answer below 500, within MAX_REQUEST_MS, nothing stored from a request the archive
 * refused, and — checked by the caller after the run — every instance stored before the
 * run still served byte-identical. Shared by `npm test` (fixed seed, few runs) and
 * `npm run fuzz -- --minutes N` (random seeds, as long as asked).
 */
import { request } from 'node:http';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { fixture, stowBody } from '#test/helpers/dicom.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

/** The most any single request may take, whatever it carries. */
export const MAX_REQUEST_MS = 2000;

export interface FuzzTarget {
  url: string;
  s3: S3Client;
  bucket: string;
}

export interface FuzzStats {
  requests: number;
  statuses: Record<string, number>;
  slowestMs: number;
}

interface Sent {
  status: number;
  ms: number;
  body: string;
}

/** Sends exactly what it is given: the path as written, any bytes, any headers. */
function send(base: string, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Sent> {
  const target = new URL(base);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ hostname: target.hostname, port: target.port, path, method, headers: body ? { ...headers, 'Content-Length': String(body.length) } : headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body: Buffer.concat(chunks).toString('latin1').slice(0, 500) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function objectCount(target: FuzzTarget): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const page = await target.s3.send(new ListObjectsV2Command({ Bucket: target.bucket, ContinuationToken: token }));
    count += page.KeyCount ?? 0;
    token = page.NextContinuationToken;
  } while (token);
  return count;
}

// Fuzzed instances live in their own study, so no mutation can become a version of the
// instances stored before the run.
const FUZZ_STUDY = '2.25.424242';
const bases = () => [
  synthesize('CT_small.dcm', { study: FUZZ_STUDY, series: `${FUZZ_STUDY}.1`, sop: `${FUZZ_STUDY}.1.1` }),
  ...['MR_small_implicit.dcm', 'MR_small_bigendian.dcm', 'SC_rgb_rle_2frame.dcm', 'test-SR.dcm'].map((name, i) =>
    synthesize(name, { study: FUZZ_STUDY, series: `${FUZZ_STUDY}.2`, sop: `${FUZZ_STUDY}.2.${i + 1}` }),
  ),
  fixture('image_dfl.dcm'),
];

const mutatedFile = (files: Buffer[]) =>
  fc
    .tuple(fc.constantFrom(...files), fc.double({ min: 0, max: 1, noNaN: true }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }))
    .map(([file, keep, flips]) => {
      const bytes = Buffer.from(file.subarray(0, Math.max(132, Math.round(file.length * keep))));
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      return bytes;
    });

const text = fc.string({ unit: fc.constantFrom(...'0123456789.-*?^,\\%/ aZé\u0000\r\n"\';&=+'.split('')), maxLength: 40 });
const longText = fc.integer({ min: 100, max: 5000 }).map((n) => '9.'.repeat(n));

/** A STOW-RS request: a valid envelope around damaged files, or a damaged envelope. */
const stowRequest = (files: Buffer[]) =>
  fc.oneof(
    fc.array(mutatedFile(files), { minLength: 1, maxLength: 4 }).map((parts) => ({ ...stowBody(parts), path: '/dicom-web/studies' })),
    fc.tuple(mutatedFile(files), fc.uint8Array({ maxLength: 300 }), fc.constantFrom('b', '', 'strata-test-boundary', '"x y"', 'a'.repeat(100))).map(([file, noise, boundary]) => ({
      body: Buffer.concat([Buffer.from(noise), Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), file]),
      contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
      path: '/dicom-web/studies',
    })),
    fc.tuple(fc.uint8Array({ maxLength: 2000 }), fc.constantFrom('multipart/related', 'multipart/related; boundary=', 'application/dicom', 'multipart/related; type="application/dicom"; boundary=--', '')).map(([noise, contentType]) => ({
      body: Buffer.from(noise),
      contentType,
      path: '/dicom-web/studies',
    })),
    fc.tuple(mutatedFile(files), fc.oneof(text, longText)).map(([file, study]) => ({ ...stowBody([file]), path: `/dicom-web/studies/${encodeURIComponent(study)}` })),
  );

const keywords = ['PatientName', 'PatientID', 'StudyDate', 'StudyTime', 'ModalitiesInStudy', 'StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID', 'AccessionNumber', '00100010', '00400275.00401001', 'includefield', 'limit', 'offset', 'fuzzymatching', 'Nonsense', 'valueOf', '__proto__', 'constructor', ''];
const queryString = fc
  .array(fc.tuple(fc.constantFrom(...keywords), fc.oneof(text, longText, fc.constantFrom('20250101-20000101', '*', '', '-', '1.2.3,4.5.6', 'true', '-1', '99999999999')), fc.boolean()), { maxLength: 5 })
  // Values sent encoded, or raw (stray %, &, = and quotes as a careless client sends them).
  .map((pairs) => pairs.map(([k, v, encoded]) => `${encodeURIComponent(k)}=${encoded ? encodeURIComponent(v) : v.replace(/[^\x21-\x7e]/g, '')}`).join('&'));
const segment = fc.oneof(text.map((t) => t.replace(/[^\x21-\x7e]|[/?#]/g, '')), longText, fc.constantFrom('..', '.', '%2e%2e', '%zz', '%', '%00', '1.2.3', `${FUZZ_STUDY}`, '%2F'));
const resource = fc.constantFrom('', '/metadata', '/series', '/instances', '/rendered', '/thumbnail', '/frames/1', '/frames/0', '/frames/1,99999999999', '/bulkdata/7FE00010');

/** Searches and retrieves on hostile paths and query strings (GET only: a fuzzer must not delete what it checks). */
const readRequest = fc.oneof(
  fc.tuple(fc.constantFrom('/dicom-web/studies', '/dicom-web/series', '/dicom-web/instances'), queryString).map(([path, query]) => `${path}?${query}`),
  fc.tuple(fc.array(segment, { minLength: 1, maxLength: 3 }), resource, queryString).map(([segments, tail, query]) => {
    const [study, series, sop] = segments;
    const path = `/dicom-web/studies/${study}${series ? `/series/${series}` : ''}${sop ? `/instances/${sop}` : ''}${tail}`;
    return `${path}?${query}`;
  }),
);

/** A DELETE on a hostile path that names nothing stored before the run. */
const deleteRequest = fc.array(segment.filter((s) => s !== FUZZ_STUDY), { minLength: 1, maxLength: 3 }).map(([study, series, sop]) => `/dicom-web/studies/${study}${series ? `/series/${series}` : ''}${sop ? `/instances/${sop}` : ''}`);

export async function fuzzArchive(target: FuzzTarget, options: { seed?: number; numRuns: number; onFailure?: (message: string) => void }): Promise<FuzzStats> {
  const stats: FuzzStats = { requests: 0, statuses: {}, slowestMs: 0 };
  const files = bases();
  const check = (what: string, sent: Sent) => {
    stats.requests++;
    stats.statuses[sent.status] = (stats.statuses[sent.status] ?? 0) + 1;
    stats.slowestMs = Math.max(stats.slowestMs, sent.ms);
    // 501 is a documented answer (rendered/thumbnail not offered), not a failure.
    if ((sent.status >= 500 && sent.status !== 501) || sent.status === 0) throw new Error(`${what} answered ${sent.status}: ${sent.body}`);
    if (sent.ms > MAX_REQUEST_MS) throw new Error(`${what} took ${Math.round(sent.ms)} ms`);
  };
  const accept = { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' };
  const parameters = { numRuns: options.numRuns, ...(options.seed === undefined ? {} : { seed: options.seed }), endOnFailure: true };

  await fc.assert(
    fc.asyncProperty(stowRequest(files), async ({ body, contentType, path }) => {
      const before = await objectCount(target);
      const sent = await send(target.url, 'POST', path, { 'Content-Type': contentType, Accept: 'application/dicom+json' }, body);
      check(`POST ${path.slice(0, 60)}`, sent);
      // A refusal (4xx, or 409: none stored) leaves the bucket as it was.
      if (sent.status >= 400 && (await objectCount(target)) !== before) throw new Error(`POST answered ${sent.status} but stored objects`);
    }),
    parameters,
  );
  await fc.assert(
    fc.asyncProperty(readRequest, async (path) => check(`GET ${path.slice(0, 80)}`, await send(target.url, 'GET', path, accept))),
    { ...parameters, numRuns: options.numRuns * 2 },
  );
  await fc.assert(
    fc.asyncProperty(deleteRequest, async (path) => {
      const before = await objectCount(target);
      const sent = await send(target.url, 'DELETE', path, {});
      check(`DELETE ${path.slice(0, 80)}`, sent);
      if (sent.status !== 204 && (await objectCount(target)) !== before) throw new Error(`DELETE answered ${sent.status} but removed objects`);
    }),
    { ...parameters, numRuns: Math.ceil(options.numRuns / 2) },
  );
  return stats;
}
