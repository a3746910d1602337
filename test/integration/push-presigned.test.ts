/**
 * `npm run push` through the presigned path (scripts/clients/push/presigned-upload.ts) against a
 * local archive: a file over --presigned-over goes straight to the local S3 in parts and is
 * indexed by the Object Created event; the archive serves its bytes; a rerun sends nothing again.
 */
import { execFile } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileReport } from '#clients/push/engine.ts';
import { routeOf } from '#clients/push/engine.ts';
import { parseSize } from '#clients/push/cli.ts';
import { multipartBodies, sha256 } from '#test/helpers/dicom.ts';
import { largeInstance } from '#test/helpers/large-instances.ts';
import { minimal } from '#test/helpers/synthetic.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const PUSH = join(ROOT, 'scripts', 'push.ts');
const MB = 1024 * 1024;

type Result = { code: number; stdout: string; stderr: string };
const push = (args: string[]): Promise<Result> =>
  run(TSX, [PUSH, ...args], { cwd: ROOT, env: process.env, maxBuffer: 1 << 24 }).then(
    (ok) => ({ code: 0, ...ok }),
    (error: Result) => error,
  );
const reports = (path: string): FileReport[] => readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as FileReport);

describe('the push CLI, presigned route', () => {
  it('routes by size: API, data plane, presigned (over --presigned-over, or over the API limit without a data plane)', () => {
    const api = 4 * MB;
    expect(routeOf(1 * MB, { apiBodyBytes: api, dataUrl: 'http://d', presignedOver: 1024 * MB })).toBe('api');
    expect(routeOf(10 * MB, { apiBodyBytes: api, dataUrl: 'http://d', presignedOver: 1024 * MB })).toBe('data-plane');
    expect(routeOf(2048 * MB, { apiBodyBytes: api, dataUrl: 'http://d', presignedOver: 1024 * MB })).toBe('presigned');
    expect(routeOf(10 * MB, { apiBodyBytes: api, dataUrl: undefined })).toBe('presigned');
    expect(routeOf(1 * MB, { apiBodyBytes: api, dataUrl: undefined, presignedOver: 512 * 1024 })).toBe('presigned');
    expect([parseSize('1GiB'), parseSize('500MB'), parseSize('4194304'), parseSize('1.5 KiB'), parseSize('big')]).toEqual([2 ** 30, 5e8, 4194304, 1536, undefined]);
  });

  describe('against the local runtime', () => {
    let runtime: TestRuntime;
    let dir: string;
    beforeAll(async () => {
      runtime = await startTestRuntime();
      dir = mkdtempSync(join(tmpdir(), 'strata-presigned-'));
    });
    afterAll(async () => {
      await runtime?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('uploads a large file in parts straight to S3, stores it byte for byte, and sends nothing on a rerun', { timeout: 300_000 }, async () => {
      const study = '2.25.917101';
      const big = largeInstance(study, `${study}.1`, 0, 20 * MB);
      await pipeline(Readable.from(big.chunks()), createWriteStream(join(dir, 'big.dcm')));
      writeFileSync(join(dir, 'small.dcm'), minimal({ study, series: `${study}.1`, sop: `${study}.1.99` }));
      const report = join(dir, 'report.jsonl');
      const args = ['--url', `${runtime.url}/dicom-web`, '--token', runtime.testToken, '--presigned-over', '5MiB', '--part-concurrency', '2', '--report', report, join(dir, 'big.dcm'), join(dir, 'small.dcm')];
      const first = await push(args);
      expect(first.code, first.stdout + first.stderr).toBe(0);
      const byPath = new Map(reports(report).map((r) => [r.path.split('/').pop(), r]));
      expect(byPath.get('big.dcm')).toMatchObject({ outcome: 'stored', via: 'presigned', sop: big.sop });
      expect(byPath.get('small.dcm')).toMatchObject({ outcome: 'stored', via: 'api' });
      // The upload id is printed (progress line and summary) and reported, and the archive's report answers by it.
      const upload = byPath.get('big.dcm')!.upload!;
      expect(upload).toMatch(/^[0-9a-f-]{36}$/);
      expect(byPath.get('small.dcm')!.upload).toBeUndefined();
      expect(first.stdout).toContain(`presigned: upload ${upload} for ${join(dir, 'big.dcm')}`);
      expect(first.stdout).toMatch(new RegExp(`presigned uploads \\(the archive's report: GET <url>/uploads/<id>\\):\\n  ${upload}  stored  +${join(dir, 'big.dcm')}`));
      const archived = (await (await fetch(`${runtime.url}/dicom-web/uploads/${upload}`)).json()) as { files: { status: string; sopInstanceUID: string }[] };
      expect(archived.files).toMatchObject([{ status: 'stored', sopInstanceUID: big.sop }]);

      const response = await fetch(`${runtime.dataPlaneUrl}/dicom-web/studies/${study}/series/${study}.1/instances/${big.sop}`, {
        headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
      });
      const [part] = multipartBodies(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!);
      expect(sha256(part!.body)).toBe(big.sha256());

      // Resumed: the archive holds both with the same SHA-256, so neither is sent again.
      rmSync(report);
      const again = await push(args);
      expect(again.code, again.stdout).toBe(0);
      expect(reports(report).map((r) => r.outcome)).toEqual(['present', 'present']);
    });

    it('reports a file the archive refuses on the presigned path with its reason', { timeout: 120_000 }, async () => {
      // DICM magic with a header that does not parse: the CLI sends it, the indexer refuses it.
      const broken = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from([0x02, 0x00, 0x10, 0x00, 0x55, 0x49, 0xff, 0xff]), Buffer.alloc(6 * MB, 7)]);
      writeFileSync(join(dir, 'broken.dcm'), broken);
      const result = await push(['--url', `${runtime.url}/dicom-web`, '--token', runtime.testToken, '--presigned-over', '1MiB', join(dir, 'broken.dcm')]);
      expect(result.code).toBe(2);
      expect(result.stdout).toMatch(/refused .*broken\.dcm \(upload [0-9a-f-]{36}\): /);
    });
  });
});
