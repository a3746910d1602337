/**
 * `npm run build:console`: builds the console (infra/console/build.ts) whether or not it is up to
 * date, and prints each file's size and gzipped size. `npm start`, `npm test` and `npm run synth`
 * build it by themselves when it is missing or stale.
 */
import { resolve } from 'node:path';
import { buildConsole, CONSOLE_DIST, consoleBundleSizes } from '#infra/console/build.ts';

const root = resolve(import.meta.dirname, '..');
const started = performance.now();
await buildConsole(root);
const sizes = consoleBundleSizes(root);
console.log(`console built into ${CONSOLE_DIST} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
for (const { file, bytes, gzipBytes } of sizes) console.log(`  ${file.padEnd(40)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB  gzip ${(gzipBytes / 1024).toFixed(1).padStart(7)} KiB`);
const total = sizes.reduce((sum, f) => ({ bytes: sum.bytes + f.bytes, gzip: sum.gzip + f.gzipBytes }), { bytes: 0, gzip: 0 });
console.log(`  ${'total'.padEnd(40)} ${(total.bytes / 1024).toFixed(1).padStart(8)} KiB  gzip ${(total.gzip / 1024).toFixed(1).padStart(7)} KiB`);
