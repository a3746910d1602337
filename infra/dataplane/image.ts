/**
 * The data plane's container image, built from this repository at synth: the service
 * (lambdas/handlers/data-plane/main.ts) bundled by esbuild with the same options as the
 * functions — except that the AWS SDK is bundled in, since only Lambda provides it — the codec
 * packages copied from the project's own node_modules (they load their .wasm from disk), and a
 * Dockerfile on the official Node image. Nothing is downloaded at image build but the base image.
 */
import { buildSync } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
const PREFIX = 'data-plane-image-';

/** Directories of processes that ended without their exit hook (killed test workers). */
function removeOrphans(cache: string): void {
  if (!existsSync(cache)) return;
  for (const name of readdirSync(cache)) {
    const pid = Number(name.slice(PREFIX.length));
    if (!name.startsWith(PREFIX) || !Number.isInteger(pid) || isAlive(pid)) continue;
    rmSync(join(cache, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A directory holding the Dockerfile and what it copies; built once per process and project, in
 * the project's own cache (so the source map's relative paths, and so the image's hash, are the
 * same wherever the repository is checked out, and nothing is left behind in /tmp).
 */
export function dataPlaneImageDirectory(projectRoot: string): string {
  const cached = built.get(projectRoot);
  if (cached) return cached;
  // One directory per process (test workers synthesize in parallel), at a fixed depth, removed on exit
  // (CDK has copied it into cdk.out as the asset by then).
  const cache = join(projectRoot, 'node_modules', '.cache', 'strata');
  removeOrphans(cache);
  const dir = join(cache, `${PREFIX}${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
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
