/**
 * The benchmark and bundle scripts as a developer runs them (push and synth have their own tests):
 * each must run to the end and print figures of what it was asked, or a benchmark table can rot
 * unnoticed until the day someone needs its numbers. No figure is judged here, only that it is there.
 */
import { execFile } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

type Result = { code: number; stdout: string; stderr: string };
const script = (name: string, args: string[], env: Record<string, string> = {}): Promise<Result> =>
  run(TSX, [join(ROOT, 'scripts', name), ...args], { cwd: ROOT, env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', ...env }, maxBuffer: 1 << 24 }).then(
    (ok) => ({ code: 0, ...ok }),
    (error: Result) => error,
  );

describe('npm run bundle', () => {
  const out = `dist/bundle-smoke-${process.pid}`;
  afterAll(() => rmSync(join(ROOT, out), { recursive: true, force: true }));

  it('bundles the chosen functions, each under 1 MB, and times their import in a fresh process', async () => {
    const result = await script('bundle.ts', ['--only', 'storeInstances,health', '--runs', '1', '--out', out]);
    expect(result.stderr).not.toMatch(/over 1024 KB/);
    expect(result.code).toBe(0);
    for (const name of ['storeInstances', 'health']) {
      const row = new RegExp(`^${name} +(\\d+) +(\\d+) +(\\d+)$`, 'm').exec(result.stdout);
      expect(row, `${name} in\n${result.stdout}`).not.toBeNull();
      const bundle = join(ROOT, out, name, 'index.mjs');
      expect(existsSync(bundle)).toBe(true);
      // The printed size is the file's, rounded to KB.
      expect(Number(row![1])).toBe(Math.round(statSync(bundle).size / 1024));
      expect(Number(row![1])).toBeLessThan(1024);
    }
    expect(result.stdout).not.toMatch(/^retrieve /m); // only what was asked
  }, 300_000);

  it('refuses a function nobody declared and a folder outside the repository', async () => {
    expect(await script('bundle.ts', ['--only', 'noSuchFunction'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/no declared function noSuchFunction/) });
    expect(await script('bundle.ts', ['--out', '/tmp'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/inside the repository/) });
  }, 120_000);
});

describe('npm run bench:dicomweb', () => {
  let strata: TestRuntime;
  let peer: TestRuntime;
  beforeAll(async () => {
    strata = await startTestRuntime();
    peer = await startTestRuntime();
  });
  afterAll(async () => {
    await strata?.dispose();
    await peer?.dispose();
  });

  it('measures two archives the same way and sets them side by side', async () => {
    const population = ['--studies', '1', '--series', '1', '--instances', '4', '--size', '16', '--batch', '2', '--concurrency', '1', '--queries', '1'];
    const result = await script('bench-dicomweb.ts', [...population, '--url', `${strata.url}/dicom-web`, '--peer', `${peer.url}/dicom-web`], {
      STRATA_TOKEN: strata.testToken,
      STRATA_PEER_TOKEN: peer.testToken,
    });
    expect(result.stderr).not.toMatch(/not stored/);
    expect(result.code, result.stderr).toBe(0);
    // Both were written to and read from: every instance stored, the queries found them.
    expect(result.stdout.match(/^STOW {2}4 instances .* instances\/s/gm)).toHaveLength(2);
    expect(result.stdout).not.toMatch(/NOT stored/);
    expect(result.stdout.match(/^ +instances of a series +[\d.]+ +[\d.]+ +4 /gm)).toHaveLength(2);
    expect(result.stdout.match(/^META {2}series metadata \(4 instances\)/gm)).toHaveLength(2);
    const table = result.stdout.slice(result.stdout.indexOf('== side by side'));
    for (const figure of ['STOW instances/s', 'WADO study MB/s', 'series metadata p50 ms', 'QIDO p50 ms']) {
      expect(table, figure).toMatch(new RegExp(`^${figure.replace(/[/()]/g, '\\$&')}.* [\\d.]+× *$`, 'm'));
    }
  }, 600_000);
});
