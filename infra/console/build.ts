/**
 * Builds the console (scripts/clients/console: TypeScript, Chart.js) with Vite into its `dist/`,
 * which the local runtime serves in place and CDK copies into the console function's bundle.
 * The output is never committed: `npm start`, `npm test` (vitest's global setup) and `npm run
 * synth` call `ensureConsoleBuilt`, which builds only when `dist/` is missing or was built from
 * other sources (a hash of the console's files and of the Vite and Chart.js versions, kept in
 * `dist/.source-hash`). The new build is written aside and swapped in, so a half-written `dist/`
 * is never served.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

export const CONSOLE_SOURCE = 'scripts/clients/console';
/** Where the built files go: the console function's declared `staticFiles` (infra/system.ts). */
export const CONSOLE_DIST = `${CONSOLE_SOURCE}/dist`;
const HASH_FILE = '.source-hash';
/** Packages whose code ends up in the bundle (a new version must rebuild it). */
const BUNDLED_PACKAGES = ['vite', 'chart.js', '@kurkle/color'];

function filesUnder(dir: string, skip: (path: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (skip(path)) return [];
    return entry.isDirectory() ? filesUnder(path, skip) : [path];
  });
}

/** The hash of everything the build reads: the console's sources, this file, the bundled packages' versions. */
export function consoleSourceHash(projectRoot: string): string {
  const source = resolve(projectRoot, CONSOLE_SOURCE);
  const dist = resolve(projectRoot, CONSOLE_DIST);
  const hash = createHash('sha256');
  const files = filesUnder(source, (path) => path === dist || path.startsWith(`${dist}.`)).sort();
  for (const file of [...files, resolve(projectRoot, 'infra/console/build.ts')]) {
    hash.update(relative(projectRoot, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  for (const pkg of BUNDLED_PACKAGES) {
    const manifest = resolve(projectRoot, 'node_modules', pkg, 'package.json');
    hash.update(`${pkg}@${existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version : 'absent'}\0`);
  }
  return hash.digest('hex');
}

export function consoleIsBuilt(projectRoot: string): boolean {
  const stamp = resolve(projectRoot, CONSOLE_DIST, HASH_FILE);
  return existsSync(stamp) && readFileSync(stamp, 'utf8') === consoleSourceHash(projectRoot);
}

/** Builds the console unless `dist/` already holds a build of these sources; true when it built. */
export async function ensureConsoleBuilt(projectRoot: string, log: (message: string) => void = () => {}): Promise<boolean> {
  if (consoleIsBuilt(projectRoot)) return false;
  await buildConsole(projectRoot);
  log(`console built into ${CONSOLE_DIST} (${consoleBundleSizes(projectRoot).map((f) => `${f.file} ${f.bytes} B, gzip ${f.gzipBytes} B`).join('; ')})`);
  return true;
}

export async function buildConsole(projectRoot: string): Promise<void> {
  const hash = consoleSourceHash(projectRoot);
  const dist = resolve(projectRoot, CONSOLE_DIST);
  const staging = `${dist}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  // Vite only when a build is needed: starting the runtime or a synth does not load it otherwise.
  const { build } = await import('vite');
  await build({
    configFile: false,
    root: resolve(projectRoot, CONSOLE_SOURCE),
    // Relative asset URLs, resolved against the <base href> the console function writes into the page.
    base: './',
    logLevel: 'warn',
    build: { outDir: staging, emptyOutDir: true, target: 'es2022', sourcemap: false, reportCompressedSize: false, assetsInlineLimit: 0, modulePreload: { polyfill: false } },
  });
  writeFileSync(join(staging, HASH_FILE), hash);
  // Swap: the old build aside, the new one in, the old one removed. Another process that built
  // the same sources at the same time leaves an equal dist/, which is kept.
  const old = `${dist}.old-${process.pid}`;
  if (existsSync(dist)) renameSync(dist, old);
  try {
    renameSync(staging, dist);
  } catch (error) {
    if (!existsSync(dist)) throw error;
    rmSync(staging, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
}

/** Each built JavaScript and CSS file with its size and gzipped size (what a browser downloads). */
export function consoleBundleSizes(projectRoot: string): { file: string; bytes: number; gzipBytes: number }[] {
  const dist = resolve(projectRoot, CONSOLE_DIST);
  return filesUnder(dist, () => false)
    .filter((file) => /\.(js|css|html)$/.test(file))
    .map((file) => ({ file: relative(dist, file), bytes: statSync(file).size, gzipBytes: gzipSync(readFileSync(file)).length }));
}
