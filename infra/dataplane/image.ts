/**
 * The data plane's container image, built from this repository at synth: the service
 * (lambdas/handlers/data-plane/main.ts) bundled by esbuild with the same options as the
 * functions — except that the AWS SDK is bundled in, since only Lambda provides it — the codec
 * packages copied from the project's own node_modules (they load their .wasm from disk), and a
 * Dockerfile on the official Node image. Nothing is downloaded at image build but the base image.
 */
import { buildSync } from 'esbuild';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { BUNDLE_OPTIONS, NODE_TARGET, UNBUNDLED_PACKAGES } from '#infra/bundling.ts';

export const DATA_PLANE_ENTRY = 'lambdas/handlers/data-plane/main.ts';
/** The port the service listens on inside the task (config.dataPlane.port). */
export const DATA_PLANE_PORT = 8080;
const BASE_IMAGE = `public.ecr.aws/docker/library/node:${NODE_TARGET.replace('node', '')}-bookworm-slim`;

const DOCKERFILE = `# Built by infra/dataplane/image.ts at synth; do not edit.
FROM --platform=linux/arm64 ${BASE_IMAGE}
WORKDIR /app
COPY --chown=root:root . .
ENV NODE_ENV=production PORT=${DATA_PLANE_PORT}
EXPOSE ${DATA_PLANE_PORT}
USER node
CMD ["node", "--enable-source-maps", "main.mjs"]
`;

const built = new Map<string, string>();

/** A directory holding the Dockerfile and what it copies; built once per process and project. */
export function dataPlaneImageDirectory(projectRoot: string): string {
  const cached = built.get(projectRoot);
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'strata-data-plane-image-'));
  buildSync({
    ...BUNDLE_OPTIONS,
    banner: { js: BUNDLE_OPTIONS.banner },
    external: [...UNBUNDLED_PACKAGES],
    entryPoints: [resolve(projectRoot, DATA_PLANE_ENTRY)],
    bundle: true,
    outfile: join(dir, 'main.mjs'),
    absWorkingDir: projectRoot,
    logLevel: 'error',
  });
  for (const pkg of UNBUNDLED_PACKAGES) {
    const target = join(dir, 'node_modules', pkg);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(join(projectRoot, 'node_modules', pkg), target, { recursive: true });
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'strata-data-plane', private: true, type: 'module' }));
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  built.set(projectRoot, dir);
  return dir;
}
