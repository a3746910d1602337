/**
 * `npm run bundle`: bundles every declared function with the options the CDK stack uses
 * (infra/bundling.ts) into dist/bundles/<function>/, and prints each bundle's size and its
 * cold-start init time: importing the bundle in a fresh Node process, as Lambda does.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS, UNBUNDLED_PACKAGES, needsCodecs } from '#infra/bundling.ts';
import { system } from '#infra/system.ts';

const LIMIT_KB = 1024;
const HELP = `usage: npm run bundle [-- options]
Bundles each Lambda function into dist/bundles/ and reports size and cold-start init time.
  --only A,B   these functions only (names as in infra/system.ts)
  --runs N     fresh processes timed per bundle (5; the median is printed)
  --out DIR    where the bundles go (dist/bundles), inside the repository: a bundle leaves out the AWS SDK,
               which Lambda's runtime provides and the repository's node_modules stand in for here
Exits 1 when a bundle passes ${LIMIT_KB} KB (the design's bound; a larger bundle slows every cold start).`;
const options = parseOptions(process.argv.slice(2));
const root = resolve(import.meta.dirname, '..');
const out = resolve(root, options.out);
if (relative(root, out).startsWith('..') || out === root) throw new Error(`--out ${options.out}: must be a folder inside the repository (--help)`);
rmSync(out, { recursive: true, force: true });
const RUNS = options.runs;
const declared = Object.entries(system.functions);
const unknown = options.only?.filter((name) => !(name in system.functions)) ?? [];
if (unknown.length) throw new Error(`no declared function ${unknown.join(', ')}`);
const chosen = options.only ? declared.filter(([name]) => options.only!.includes(name)) : declared;
const oversized: string[] = [];

console.log(`function                 bundle KB   gzip KB   init ms (median of ${RUNS}, fresh process)`);
for (const [name, declaration] of chosen) {
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
  if (size > LIMIT_KB * 1024) oversized.push(name);
  console.log(`${name.padEnd(24)} ${(size / 1024).toFixed(0).padStart(9)} ${(gzip / 1024).toFixed(0).padStart(9)}   ${times[Math.floor(RUNS / 2)]!.toFixed(0).padStart(7)}`);
}
if (oversized.length) {
  console.error(`over ${LIMIT_KB} KB: ${oversized.join(', ')}`);
  process.exitCode = 1;
}

function parseOptions(argv: string[]): { only?: string[]; runs: number; out: string } {
  const parsed: { only?: string[]; runs: number; out: string } = { runs: 5, out: 'dist/bundles' };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    if (name === '--help' || name === '-h') {
      console.log(HELP);
      process.exit(0);
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${name} needs a value (--help)`);
    if (name === '--only') parsed.only = value.split(',').filter(Boolean);
    else if (name === '--out') parsed.out = value;
    else if (name === '--runs' && Number.isInteger(Number(value)) && Number(value) >= 1) parsed.runs = Number(value);
    else throw new Error(`unknown option or value: ${name} ${value} (--help)`);
  }
  return parsed;
}
