/**
 * The data plane's container contents, as CDK hands them to Docker (infra/dataplane/image.ts):
 * the bundle starts with plain `node` and the copied codecs (no project node_modules, no tsx),
 * answers its health check, refuses requests without a token, and stops cleanly on SIGTERM as
 * ECS stops a task, sending its requests' spans to the trace collector it is pointed at (the
 * task's OpenTelemetry sidecar in AWS; a plain HTTP server here). (Docker itself is not needed to
 * build this directory, and is not run here.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '#infra/app.ts';
import { dataPlaneRouteEnvironment } from '#infra/dataplane/declaration.ts';
import { dataPlaneImageDirectory } from '#infra/dataplane/image.ts';
import { UNBUNDLED_PACKAGES } from '#infra/bundling.ts';

const PORT = 18_931;

describe('The data plane image directory', () => {
  let dir: string;
  let service: ChildProcess;
  let output = '';
  /** What the service sent its trace collector: OTLP/HTTP JSON exports. */
  const exported: string[] = [];
  let collector: Server;

  beforeAll(async () => {
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        exported.push(`${req.url} ${Buffer.concat(chunks).toString('utf8')}`);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
    dir = dataPlaneImageDirectory(PROJECT_ROOT);
    service = spawn(process.execPath, ['main.mjs'], {
      cwd: dir,
      // Only what the task definition gives it (plus a region): no endpoint overrides, no project paths.
      env: { PATH: process.env.PATH, PORT: String(PORT), AWS_REGION: 'us-east-1', STRATA_DATA_PLANE_ROUTES: dataPlaneRouteEnvironment(), STRATA_USER_POOL_ID: 'us-east-1_TESTPOOL1', STRATA_RESOURCE_SERVER: 'strata', TABLE_INDEX: 'index', BUCKET_ARCHIVE: 'archive', TABLE_AUDIT: 'audit', STRATA_TRACE_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    service.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 100 && !output.includes('data plane listening'); i++) await new Promise((r) => setTimeout(r, 100));
  }, 60_000);

  afterAll(() => {
    if (service.exitCode === null) service.kill('SIGKILL');
    collector.closeAllConnections();
    collector.close();
  });

  it('holds a Dockerfile for linux/arm64 that runs the bundle as the unprivileged node user, and the codecs', () => {
    const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM --platform=linux\/arm64 public\.ecr\.aws\/docker\/library\/node:22/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toContain('CMD ["node", "--enable-source-maps", "main.mjs"]');
    for (const pkg of UNBUNDLED_PACKAGES) expect(existsSync(join(dir, 'node_modules', pkg, 'package.json')), pkg).toBe(true);
  });

  it('starts with plain node, answers /health and refuses a route without a token', async () => {
    expect(output).toContain('data plane listening');
    const health = await fetch(`http://127.0.0.1:${PORT}/health`);
    expect(health.status).toBe(200);
    const stow = await fetch(`http://127.0.0.1:${PORT}/dicom-web/studies`, { method: 'POST', body: 'x', headers: { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=b' } });
    expect(stow.status).toBe(401);
    const forged = await fetch(`http://127.0.0.1:${PORT}/dicom-web/studies/1.2.3`, { headers: { Authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' } });
    expect(forged.status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${PORT}/dicom-web/studies/1.2.3/metadata`)).status).toBe(404);
  });

  it('stops cleanly on SIGTERM, as ECS stops a task', async () => {
    service.kill('SIGTERM');
    const [code] = (await once(service, 'exit')) as [number | null];
    expect(code).toBe(0);
    // Before exiting it flushed its spans: one per request but /health, named by route, never by the path's UIDs.
    expect(exported.every((e) => e.startsWith('/v1/traces '))).toBe(true);
    const names = exported.flatMap((e) => [...e.matchAll(/"name":"((?:GET|POST)[^"]*)"/g)].map((m) => m[1])).sort();
    expect(names).toEqual(['GET', 'GET /dicom-web/studies/{study}', 'POST /dicom-web/studies']);
    expect(exported.join('')).toContain('strata-data-plane');
    expect(exported.join('')).not.toContain('1.2.3');
  });
});
