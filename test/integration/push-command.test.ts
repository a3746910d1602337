/**
 * `npm run push` (scripts/clients/push) against a local archive, as a PACS administrator runs it: a whole
 * folder of real files (stored, refused with a reason, or skipped as not DICOM, and summed up), a
 * run killed halfway and run again (every file stored exactly once), and a flaky network (503
 * with Retry-After, dropped connections) that loses nothing.
 */
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKEN, FIXTURES, fixtureNames, sha256 } from '#test/helpers/dicom.ts';
import { minimal } from '#test/helpers/synthetic.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import type { FileReport } from '#clients/push/engine.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const PUSH = join(ROOT, 'scripts', 'push.ts');

type Result = { code: number; stdout: string; stderr: string };
const push = (args: string[], env: Record<string, string> = {}): Promise<Result> =>
  run(TSX, [PUSH, ...args], { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 1 << 24 }).then(
    (ok) => ({ code: 0, ...ok }),
    (error: Result) => error,
  );
const reports = (path: string): FileReport[] => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as FileReport) : []);
const row = (stdout: string, label: string) => Number(new RegExp(`^${label} +(\\d+)$`, 'm').exec(stdout)?.[1]);

/** `count` small distinct instances in `studies` studies, written to a fresh folder. */
function writeInstances(count: number, studies: number, tag: string): { dir: string; sops: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'strata-push-'));
  const sops: string[] = [];
  for (let i = 0; i < count; i++) {
    const study = `2.25.${tag}.${i % studies}`;
    const sop = `${study}.1.${i}`;
    sops.push(sop);
    writeFileSync(join(dir, `IM${String(i).padStart(5, '0')}`), minimal({ study, series: `${study}.1`, sop }));
  }
  writeFileSync(join(dir, 'notes.txt'), 'not DICOM');
  return { dir, sops };
}

describe('npm run push', () => {
  let runtime: TestRuntime;
  const cleanup: string[] = [];
  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.dispose();
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  async function instancesOf(study: string): Promise<string[]> {
    const response = await fetch(`${runtime.url}/dicom-web/studies/${study}/instances?limit=1000`);
    if (response.status === 204) return [];
    return ((await response.json()) as Record<string, { Value: string[] }>[]).map((match) => match['00080018']!.Value[0]!);
  }

  it('stores every valid file of the fixture folder, names each refused one with its reason, skips what is not DICOM, and sums up', { timeout: 180_000 }, async () => {
    const result = await push(['--url', `${runtime.url}/dicom-web`, '--token', runtime.testToken, FIXTURES]);
    expect(result.code).toBe(2); // some files are refused, on purpose
    const refused = [...result.stdout.matchAll(/^refused .*\/([^/:\n]+): (.+)$/gm)].map((match) => match[1]!);
    expect(result.stdout).toMatch(/refused .*charset_chrSQEncoding\.dcm: the dataset has no StudyInstanceUID \(0020,000D\)/);
    // Files without the DICM prefix are not sent: the CLI skips them (the README among them).
    const skipped = row(result.stdout, 'skipped \\(not DICOM\\)');
    expect(skipped).toBeGreaterThanOrEqual(1);
    expect(new Set(refused).size).toBe(refused.length); // each refused file named once
    expect(refused.length + skipped).toBe(Object.keys(BROKEN).length + 1); // every broken fixture, and the README
    for (const name of refused) expect(Object.keys(BROKEN)).toContain(name);
    const stored = row(result.stdout, 'stored') + row(result.stdout, 'stored with warnings');
    expect(stored).toBe(fixtureNames().length - Object.keys(BROKEN).length);
    expect(row(result.stdout, 'refused')).toBe(refused.length);
    // Warnings are grouped: one line per kind, not one per instance.
    const warningLines = result.stdout.split('\nwarnings:\n')[1]?.split('\n\n')[0]?.split('\n').filter((line) => /^\s+\d+ × /.test(line)) ?? [];
    expect(warningLines.length).toBeGreaterThan(0);
    expect(warningLines.length).toBeLessThan(row(result.stdout, 'stored with warnings'));
  });

  it('resumes a run killed halfway: every file is stored exactly once', { timeout: 240_000 }, async () => {
    const { dir, sops } = writeInstances(120, 3, '9017');
    cleanup.push(dir);
    const first = join(dir, '..', `${dir.split('/').pop()}-first.jsonl`);
    const second = join(dir, '..', `${dir.split('/').pop()}-second.jsonl`);
    cleanup.push(first, second);
    // First run: killed (SIGKILL, no goodbye) once about half the files have an answer.
    await new Promise<void>((done, fail) => {
      // One process (no tsx wrapper), so SIGKILL kills the push itself.
      const child = spawn(process.execPath, ['--import', 'tsx', PUSH, '--url', `${runtime.url}/dicom-web`, '--token', runtime.testToken, '--batch', '4', '--concurrency', '2', '--report', first, dir], { cwd: ROOT });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const done = Math.max(0, ...[...out.matchAll(/— (\d+)\/120 files/g)].map((m) => Number(m[1])));
        if (done >= 60) child.kill('SIGKILL');
      });
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? done() : fail(new Error(`the push ended by itself (${code}) before it was killed: ${out.slice(-500)}`))));
    });
    const killed = reports(first);
    expect(killed.length).toBeGreaterThanOrEqual(60);
    expect(killed.length).toBeLessThan(120);

    const rerun = await push(['--url', `${runtime.url}/dicom-web`, '--token', runtime.testToken, '--report', second, dir]);
    expect(rerun.code, rerun.stdout.slice(-1500)).toBe(0);
    const again = reports(second);
    const storedFirst = new Set(killed.filter((r) => r.outcome === 'stored').map((r) => r.sop));
    const storedSecond = again.filter((r) => r.outcome === 'stored').map((r) => r.sop);
    const present = new Set(again.filter((r) => r.outcome === 'present').map((r) => r.sop));
    // Nothing stored twice: what the first run stored, the second finds present and does not send.
    for (const sop of storedSecond) expect(storedFirst.has(sop)).toBe(false);
    for (const sop of storedFirst) expect(present.has(sop)).toBe(true);
    expect(new Set([...storedFirst, ...storedSecond, ...present])).toEqual(new Set(sops));
    expect(again.every((r) => !r.warnings)).toBe(true); // no "new version" (0xB00E): the same bytes are the same instance
    expect(row(rerun.stdout, 'already present') + row(rerun.stdout, 'stored')).toBe(120);
    expect(row(rerun.stdout, 'skipped \\(not DICOM\\)')).toBe(1);

    // The index holds each instance once, and the counts say so.
    const held = (await Promise.all([0, 1, 2].map((s) => instancesOf(`2.25.9017.${s}`)))).flat();
    expect(held.sort()).toEqual([...sops].sort());
    const studies = (await (await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=2.25.9017.0,2.25.9017.1,2.25.9017.2`)).json()) as Record<string, { Value: number[] }>[];
    expect(studies.map((s) => s['00201208']!.Value[0]).reduce((a, b) => a! + b!, 0)).toBe(120);
  });

  it('rides out 503 with Retry-After and dropped connections, storing each file once', { timeout: 180_000 }, async () => {
    const { dir, sops } = writeInstances(30, 1, '9018');
    cleanup.push(dir);
    // A flaky link in front of the archive: the 1st STOW gets 503 + Retry-After, the 2nd a dropped connection.
    let stows = 0;
    const target = new URL(runtime.url);
    const flaky: Server = createServer((req, res) => {
      if (req.method === 'POST' && ++stows <= 2) {
        req.resume();
        if (stows === 1) return res.writeHead(503, { 'Retry-After': '1', 'Content-Type': 'application/json' }).end('{"message":"Service Unavailable"}');
        return req.socket.destroy();
      }
      const forward = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      req.pipe(forward);
    });
    flaky.listen(0, '127.0.0.1');
    await new Promise((done) => flaky.once('listening', done));
    try {
      const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/dicom-web`;
      const result = await push(['--url', url, '--token', runtime.testToken, '--batch', '10', '--concurrency', '1', dir]);
      expect(result.code, result.stdout).toBe(0);
      expect(result.stdout).toMatch(/503 .*retrying 10 file\(s\) in [1-9]/); // waited at least the Retry-After
      expect(result.stdout).toMatch(/ECONNRESET|socket|other side closed|fetch failed/i);
      expect(row(result.stdout, 'stored')).toBe(30);
      expect((await instancesOf('2.25.9018.0')).sort()).toEqual([...sops].sort());
    } finally {
      flaky.close();
    }
  });

  it('the bundled strata-push bin (npm run build:clients) runs on plain Node and stores files', { timeout: 180_000 }, async () => {
    await run(TSX, [join(ROOT, 'scripts', 'build-clients.ts')], { cwd: ROOT });
    const manifest = JSON.parse(readFileSync(join(ROOT, 'scripts', 'clients', 'dist', 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(Object.keys(manifest.bin).sort()).toEqual(['strata-edge', 'strata-push']);
    const { dir } = writeInstances(3, 1, '9021');
    cleanup.push(dir);
    // Outside the repository: no tsx, no node_modules, no package.json imports.
    const result = await run(process.execPath, [join(ROOT, 'scripts', 'clients', 'dist', manifest.bin['strata-push']!), '--url', `${runtime.url}/dicom-web`, '--token', runtime.testToken, dir], { cwd: tmpdir() }).then(
      (ok) => ({ code: 0, ...ok }),
      (error: Result) => error,
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(row(result.stdout, 'stored')).toBe(3);
  });

  it('stores nothing with a token the archive does not accept, and says so once', { timeout: 60_000 }, async () => {
    const { dir } = writeInstances(30, 1, '9019');
    cleanup.push(dir);
    const forged = `${runtime.testToken.slice(0, -4)}AAAA`;
    const result = await push(['--url', `${runtime.url}/dicom-web`, '--batch', '5', '--no-resume', dir], { STRATA_TOKEN: forged });
    expect(result.code).toBe(2);
    expect(result.stdout.match(/the archive refused the token: 401/g)?.length).toBeGreaterThanOrEqual(1);
    expect(row(result.stdout, 'not sent \\(no answer\\)')).toBe(30);
    expect(row(result.stdout, 'stored')).toBe(0);
  });

  it('resume compares hashes: a file whose SOP Instance UID is held with other bytes is sent (a new version), the same bytes are not', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-push-'));
    cleanup.push(dir);
    const ids = { study: '2.25.9020', series: '2.25.9020.1' };
    writeFileSync(join(dir, 'a'), minimal({ ...ids, sop: '2.25.9020.1.1' }));
    writeFileSync(join(dir, 'b'), minimal({ ...ids, sop: '2.25.9020.1.2' }));
    expect((await push(['--url', `${runtime.url}/dicom-web`, '--token', runtime.testToken, dir])).code).toBe(0);
    const changed = minimal({ ...ids, sop: '2.25.9020.1.2', patientName: 'OTHER^BYTES' });
    writeFileSync(join(dir, 'b'), changed);
    const result = await push(['--url', `${runtime.url}/dicom-web`, '--token', runtime.testToken, dir]);
    expect(row(result.stdout, 'already present')).toBe(1);
    expect(row(result.stdout, 'stored with warnings')).toBe(1);
    expect(result.stdout).toMatch(/1 × 0xB00E/);
    const held = (await (await fetch(`${runtime.url}/dicom-web/studies/2.25.9020/instances?includefield=00091001`)).json()) as Record<string, { Value: string[] }>[];
    expect(held.find((m) => m['00080018']!.Value[0] === '2.25.9020.1.2')!['00091001']!.Value[0]).toBe(sha256(changed));
    expect(held.every((m) => m['00090010']?.Value[0] === 'STRATA 1')).toBe(true);
  });
});
