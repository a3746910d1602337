/**
 * `npm run synth` as the README tells a new user to run it: the real CDK CLI (it must read the
 * cloud-assembly schema aws-cdk-lib writes), the real esbuild bundling, the cdk-nag validation
 * plugins, offline and without AWS credentials. The template assertions live in stack.test.ts;
 * this is the one end-to-end synth (~30 s alone; minutes when the suite shares two busy cores).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '#infra/app.ts';

type Manifest = { version: string; artifacts: Record<string, { type: string }> };
type Template = { Resources: Record<string, { Type: string; Properties: { Runtime?: string; Code?: { S3Key?: string }; Environment?: { Variables?: Record<string, string> } } }> };

/** The environment of a machine with no AWS configuration at all. */
function withoutCredentials(home: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_')));
  return {
    ...env,
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

describe('npm run synth (real CDK CLI, offline, no credentials)', () => {
  const work = mkdtempSync(join(tmpdir(), 'strata-synth-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  // Bundling every function takes 2 minutes alone on two cores and up to 8 beside the rest of the suite.
  it('writes a cloud assembly with both stacks and every function bundled', { timeout: 900_000 }, () => {
    const out = join(work, 'cdk.out');
    const run = spawnSync('npm', ['run', 'synth', '--', '--output', out], { cwd: PROJECT_ROOT, env: withoutCredentials(work), encoding: 'utf8' });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);

    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack').map(([name]) => name);
    expect(stacks.sort()).toEqual(['Strata', 'StrataDr']);

    const template = JSON.parse(readFileSync(join(out, 'Strata.template.json'), 'utf8')) as Template;
    const bundles = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Runtime === 'nodejs22.x')
      .map((r) => join(out, `asset.${r.Properties.Code!.S3Key!.replace(/\.zip$/, '')}`, 'index.mjs'));
    expect(bundles.length).toBeGreaterThan(0);
    for (const bundle of bundles) expect(existsSync(bundle), bundle).toBe(true);
    // The console function's bundle carries the console's built page and assets (infra/console/build.ts).
    const consoleAsset = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.STATIC_FILES_DIR);
    const staticDir = join(out, `asset.${consoleAsset!.Properties.Code!.S3Key!.replace(/\.zip$/, '')}`, 'static');
    expect(readFileSync(join(staticDir, 'index.html'), 'utf8')).toMatch(/<script type="module"[^>]* src="\.\/assets\/index-[\w-]+\.js"/);
  });
});
