/**
 * `npm run bundle`: bundles every declared function with the options the CDK stack uses
 * (infra/bundling.ts) into dist/bundles/<function>/, and prints each bundle's size and its
 * cold-start init time: importing the bundle in a fresh Node process, as Lambda does.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS, UNBUNDLED_PACKAGES, needsCodecs } from '#infra/bundling.ts';
import { system } from '#infra/system.ts';

if (process.argv.includes('--help')) {
  console.log('usage: npm run bundle\nBundles each Lambda function into dist/bundles/ and reports size and cold-start init time.');
  process.exit(0);
}
const root = resolve(import.meta.dirname, '..');
const out = resolve(root, 'dist/bundles');
rmSync(out, { recursive: true, force: true });
const RUNS = 5;

console.log('function                 bundle KB   gzip KB   init ms (median of 5, fresh process)');
for (const [name, declaration] of Object.entries(system.functions)) {
  const dir = resolve(out, name);
  mkdirSync(dir, { recursive: true });
  const outfile = resolve(dir, 'index.mjs');
  await build({
    ...BUNDLE_OPTIONS,
    entryPoints: [resolve(root, declaration.entry)],
    bundle: true,
    outfile,
    banner: { js: BUNDLE_OPTIONS.banner },
    logLevel: 'error',
  });
  if (needsCodecs(declaration.entry)) {
    for (const pkg of UNBUNDLED_PACKAGES) {
      cpSync(resolve(root, 'node_modules', pkg, 'dist'), resolve(dir, 'node_modules', pkg, 'dist'), { recursive: true });
      cpSync(resolve(root, 'node_modules', pkg, 'package.json'), resolve(dir, 'node_modules', pkg, 'package.json'));
    }
  }
  const size = statSync(outfile).size;
  const gzip = gzipSync(readFileSync(outfile)).length;
  // Lambda provides these globals for streaming handlers; a bare Node process does not.
  const probe = `globalThis.awslambda={streamifyResponse:(f)=>f,HttpResponseStream:{from:(s)=>s}};const t=performance.now();await import(${JSON.stringify('file://' + outfile)});console.log(performance.now()-t)`;
  const times = Array.from({ length: RUNS }, () => Number(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: root, env: { ...process.env, AWS_REGION: 'us-east-1' } }).toString().trim())).sort((a, b) => a - b);
  console.log(`${name.padEnd(24)} ${(size / 1024).toFixed(0).padStart(9)} ${(gzip / 1024).toFixed(0).padStart(9)}   ${times[Math.floor(RUNS / 2)]!.toFixed(0).padStart(7)}`);
}
