/**
 * `npm run disposition -- --dry-run` then `-- --approve <id>`, as an administrator would run
 * them against a running archive with the shipped policy (adults: 10 years after the study).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const year = new Date().getUTCFullYear();
const OLD = '2.25.150000901';
const RECENT = '2.25.150000902';

describe('npm run disposition', () => {
  let runtime: TestRuntime;
  const cli = (...args: string[]) =>
    run(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'disposition.ts'), '--url', runtime.url, ...args], { cwd: ROOT, env: { ...process.env, STRATA_TOKEN: runtime.testToken } });

  beforeAll(async () => {
    runtime = await startTestRuntime();
    const study = (uid: string, date: string) =>
      synthesize('CT_small.dcm', { study: uid, series: `${uid}.1`, sop: `${uid}.1.1`, studyDate: date, extra: { '00100030': ['DA', `${year - 60}0101`] } });
    expect((await stow(runtime.url, [study(OLD, `${year - 12}0301`), study(RECENT, `${year - 2}0301`)])).status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('--dry-run prints the summary and the id; --approve <id> executes that report', { timeout: 180_000 }, async () => {
    const dry = await cli('--dry-run');
    expect(dry.stdout).toMatch(/examined 1 studies: 1 would be deleted, 0 spared by a safety net, 0 still within retention/);
    expect(dry.stdout).toMatch(/STANDARD\s+1 studies\s+0\.000 GiB/);
    expect(dry.stdout).toMatch(/monthly saving: \$0\.00 \(us-east-1 S3 storage prices as of 2025-10-19\)/);
    const id = dry.stdout.trim().split('\n').at(-1)!;
    expect(id).toMatch(/^disp-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    const approved = await cli('--approve', id);
    expect(approved.stdout.trim()).toBe(`disposition ${id}: APPROVED`);
    await runtime.stepFunctions.settled();
    const studies = (await (await fetch(`${runtime.url}/dicom-web/studies`, { headers: { Accept: 'application/dicom+json' } })).json()) as Record<string, { Value: string[] }>[];
    expect(studies.map((s) => s['0020000D']!.Value[0])).toEqual([RECENT]);
    const again = await cli('--approve', id).catch((error: { code: number; stderr: string }) => error);
    expect('code' in again ? again.code : 0).toBe(1);
    expect(again.stderr).toMatch(/409: disposition .* is (EXECUTING|RECOVERABLE), not awaiting approval/);
  });
});
