/**
 * `npm run push` of a whole folder of real files, as a PACS administrator would: every file is
 * either stored or refused with a reason a person can act on, and the summary counts both.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKEN, FIXTURES, fixtureNames } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

describe('npm run push of the fixture folder', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('stores every valid file, names each refused one with its reason, and sums them up', { timeout: 120_000 }, async () => {
    const result = await run(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'push.ts'), '--url', `${runtime.url}/dicom-web`, '--token', runtime.testToken, FIXTURES], { cwd: ROOT }).catch(
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    const stdout = result.stdout;
    expect('code' in result ? result.code : 0).toBe(2); // some files are refused, on purpose
    const broken = Object.keys(BROKEN);
    // The folder's README is pushed too, and refused as not DICOM.
    const refusedFiles = [...stdout.matchAll(/^refused .*\/([^/:\n]+): (.+)$/gm)].map((match) => match[1]);
    expect(refusedFiles.sort()).toEqual([...broken, 'README.md'].sort());
    expect(stdout).toMatch(/refused .*charset_chrSQEncoding\.dcm: the dataset has no StudyInstanceUID \(0020,000D\)/);
    const stored = fixtureNames().length - broken.length;
    const summary = /^done: (\d+) stored \((\d+) with a warning\), (\d+) refused \((.+)\)$/m.exec(stdout);
    expect(summary, stdout.slice(-500)).not.toBeNull();
    expect(Number(summary![1])).toBe(stored);
    expect(Number(summary![3])).toBe(broken.length + 1);
    expect(summary![4]).toMatch(/0xC000 cannot understand/);
  });

  it('counts nothing as stored when the answer is not a Store Instances Response (a wrong URL)', { timeout: 60_000 }, async () => {
    const result = await run(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'push.ts'), '--url', runtime.url, join(FIXTURES, 'CT_small.dcm')], {
      cwd: ROOT,
      env: { ...process.env, STRATA_TOKEN: runtime.testToken },
    }).catch(
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect('code' in result ? result.code : 0).toBe(2);
    expect(result.stdout).toMatch(/^done: 0 stored \(0 with a warning\), 0 refused, 1 not answered$/m);
  });

  it('stores nothing with a token the archive does not accept, and says so', { timeout: 60_000 }, async () => {
    const forged = `${runtime.testToken.slice(0, -4)}AAAA`;
    const result = await run(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'push.ts'), '--url', `${runtime.url}/dicom-web`, join(FIXTURES, 'CT_small.dcm')], {
      cwd: ROOT,
      env: { ...process.env, STRATA_TOKEN: forged },
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);
    expect('code' in result ? result.code : 0).toBe(2);
    expect(result.stderr).toMatch(/^401 for 1 file\(s\), not stored: .*Unauthorized/m);
    expect(result.stdout).toMatch(/^done: 0 stored \(0 with a warning\), 0 refused, 1 not answered$/m);
  });
});
