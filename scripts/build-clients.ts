/**
 * `npm run build:clients`: bundles the ingest clients into scripts/clients/dist/, a package of its own —
 * one self-contained file per bin, no dependencies to install — so `npm install -g ./scripts/clients/dist`
 * (or `npm pack ./scripts/clients/dist` and installing the tarball on a hospital's machine) gives the
 * `strata-push` and `strata-edge` commands.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS } from '#infra/bundling.ts';

const root = resolve(import.meta.dirname, '..');
const dist = resolve(root, 'scripts/clients/dist');
/** Each bin and its source entry. */
const BINS: Record<string, string> = { 'strata-push': 'scripts/clients/push/bin.ts', 'strata-edge': 'scripts/clients/edge/bin.ts' };

mkdirSync(dist, { recursive: true });
for (const [bin, entry] of Object.entries(BINS)) {
  const outfile = resolve(dist, `${bin}.mjs`);
  await build({
    ...BUNDLE_OPTIONS,
    external: [],
    entryPoints: [resolve(root, entry)],
    bundle: true,
    outfile,
    sourcemap: false,
    banner: { js: `#!/usr/bin/env node\n${BUNDLE_OPTIONS.banner}` },
    logLevel: 'error',
  });
  chmodSync(outfile, 0o755);
  console.log(`${bin}: ${outfile}`);
}
writeFileSync(
  resolve(dist, 'package.json'),
  `${JSON.stringify(
    {
      name: 'strata-ingest',
      version: '0.1.0',
      description: "Strata's ingest clients: strata-push sends folders of DICOM to a Strata archive, strata-edge is a C-STORE gateway to it (docs/ingest.md)",
      license: 'Apache-2.0',
      type: 'module',
      engines: { node: '>=20' },
      bin: Object.fromEntries(Object.keys(BINS).map((bin) => [bin, `${bin}.mjs`])),
    },
    null,
    2,
  )}\n`,
);
