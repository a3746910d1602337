/**
 * The edge gateway (scripts/clients/edge) with DCMTK's echoscu and storescu as the real senders:
 * instances sent while the archive is down are acknowledged only once spooled, survive a
 * SIGKILL of the gateway, and drain into the archive once it starts — each instance there once,
 * byte for byte as the gateway acknowledged it (its meta, then the dataset storescu sent). A second send of the same files doubles
 * nothing. Skipped when DCMTK is not installed (.ci/run installs it).
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readPart10Head } from '#core/dicom/part10-structure.ts';
import { LocalIdentity } from '#infra/local/local-identity.ts';
import { system } from '#infra/system.ts';
import { BROKEN, FIXTURES, fixture, fixtureNames, multipartBodies, sha256 } from '#test/helpers/dicom.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const hasDcmtk = spawnSync('storescu', ['--version']).status === 0;

/** Uncompressed fixtures with a SOP Instance UID of their own: storescu sends their datasets unchanged. */
function sendable(): { name: string; sop: string; study: string }[] {
  const picked = new Map<string, { name: string; sop: string; study: string }>();
  const seen = new Set<string>();
  for (const name of fixtureNames().filter((n) => !(n in BROKEN))) {
    try {
      const bytes = fixture(name);
      const { structure } = readPart10Head(bytes);
      if (!['1.2.840.10008.1.2', '1.2.840.10008.1.2.1'].includes(structure.transferSyntaxUID)) continue;
      const sop = structure.identifiers['00080018'];
      const study = structure.identifiers['0020000D'];
      if (!sop || !study || !structure.meta['00020002']) continue;
      if (seen.has(sop)) picked.delete(sop);
      else picked.set(sop, { name, sop, study });
      seen.add(sop);
    } catch {
      // not for this test
    }
  }
  return [...picked.values()];
}

async function freePorts(count: number): Promise<number[]> {
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const free = await Promise.all(Array.from({ length: count }, (_, i) => isFree(base + i)));
    if (free.every(Boolean)) return Array.from({ length: count }, (_, i) => base + i);
  }
}

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

describe.skipIf(!hasDcmtk)('edge gateway with DCMTK senders', () => {
  const dirs: string[] = [];
  let edge: (ChildProcess & { log: () => string }) | undefined;
  let runtime: TestRuntime | undefined;
  afterAll(async () => {
    edge?.kill('SIGKILL');
    await runtime?.dispose();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('spools while the archive is down, survives a SIGKILL, drains once it is up: every instance once, byte-identical', { timeout: 300_000 }, async () => {
    const [apiPort, dataPort, dimsePort, statusPort] = await freePorts(4);
    const dataDir = mkdtempSync(join(tmpdir(), 'strata-edge-archive-'));
    const spool = mkdtempSync(join(tmpdir(), 'strata-edge-spool-'));
    dirs.push(dataDir, spool);
    // The archive's signing key exists before the archive runs: the gateway is given a token now.
    const identity = await LocalIdentity.open(dataDir);
    const token = await identity.issue({ tenant: TEST_TENANT, scopes: system.api.scopes, clientId: 'edge-test', ttlSeconds: 3600 });
    const status = async () => (await (await fetch(`http://127.0.0.1:${statusPort}/status`)).json()) as Record<string, number | string | undefined>;
    const startEdge = async () => {
      // One process (no tsx wrapper), so SIGKILL kills the gateway itself.
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/edge.ts', '--aet', 'STRATA', '--port', String(dimsePort), '--status-port', String(statusPort), '--url', `http://127.0.0.1:${apiPort}/dicom-web`, '--token', token, '--spool', spool], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
      for (let i = 0; i < 600 && !log.includes('listening on DIMSE port'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(log).toContain('listening on DIMSE port');
      return Object.assign(child, { log: () => log });
    };
    const files = sendable();
    expect(files.length).toBeGreaterThanOrEqual(10);

    edge = await startEdge();
    await run('echoscu', ['-aec', 'STRATA', '127.0.0.1', String(dimsePort)]); // C-ECHO: exit 0
    await expect(run('echoscu', ['-aec', 'NOT-US', '127.0.0.1', String(dimsePort)])).rejects.toThrow(); // wrong called AE: rejected
    const sent = await run('storescu', ['-aec', 'STRATA', '-R', '127.0.0.1', String(dimsePort), ...files.map((f) => join(FIXTURES, f.name))]);
    expect(sent.stderr).not.toMatch(/^E:/m); // every C-STORE answered Success
    let seen = await status();
    expect(seen.queueDepth).toBe(files.length);
    // What the gateway acknowledged, by SOP Instance UID: the archive must end up with exactly these bytes.
    const acknowledged = new Map<string, string>();
    for (const name of readdirSync(join(spool, 'ready'))) {
      const bytes = readFileSync(join(spool, 'ready', name));
      acknowledged.set(readPart10Head(bytes).structure.identifiers['00080018']!, sha256(bytes));
    }
    expect([...acknowledged.keys()].sort()).toEqual(files.map((f) => f.sop).sort());
    for (let i = 0; i < 300 && !seen.lastError; i++, seen = await status()) await new Promise((r) => setTimeout(r, 100));
    expect(String(seen.lastError)).toMatch(/ECONNREFUSED|fetch failed/);

    // Killed without warning, started again: the queue is on disk.
    edge.kill('SIGKILL');
    await new Promise((r) => edge!.once('exit', r));
    edge = await startEdge();
    expect((await status()).queueDepth).toBe(files.length);

    runtime = await startTestRuntime({ dataDir, port: apiPort!, dataPort: dataPort! });
    for (let i = 0; i < 1200 && (await status()).queueDepth !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    seen = await status();
    expect(seen.queueDepth, edge.log()).toBe(0);
    expect(seen.refused).toBe(0);
    expect(Number(seen.forwarded) + Number(seen.alreadyPresent)).toBe(files.length);

    for (const file of files) {
      const instances = (await (await fetch(`${runtime.url}/dicom-web/studies/${file.study}/instances?SOPInstanceUID=${file.sop}`)).json()) as unknown[];
      expect(instances, file.name).toHaveLength(1);
      const url = `${runtime.url}/dicom-web/studies/${file.study}/series/${(instances[0] as Record<string, { Value: string[] }>)['0020000E']!.Value[0]}/instances/${file.sop}`;
      const response = await fetch(url, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
      const [part] = multipartBodies(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!);
      expect(sha256(part!.body), file.name).toBe(acknowledged.get(file.sop));
      // …which are the sender's instance: the gateway's meta, then the dataset as storescu encoded it
      // (in the transfer syntax the association agreed, which may not be the file's).
      const archived = readPart10Head(part!.body).structure;
      const original = readPart10Head(fixture(file.name)).structure;
      expect(archived.identifiers).toEqual(original.identifiers);
      expect(archived.meta['00020002']).toBe(original.meta['00020002']);
    }

    // The same files again: acknowledged, forwarded, found present; nothing doubles.
    await run('storescu', ['-aec', 'STRATA', '-R', '127.0.0.1', String(dimsePort), ...files.map((f) => join(FIXTURES, f.name))]);
    for (let i = 0; i < 1200 && ((await status()).queueDepth !== 0 || Number((await status()).received) < files.length); i++) await new Promise((r) => setTimeout(r, 100));
    expect((await status()).queueDepth).toBe(0);
    const studies = [...new Set(files.map((f) => f.study))];
    let total = 0;
    for (const study of studies) total += ((await (await fetch(`${runtime.url}/dicom-web/studies/${study}/instances`)).json()) as unknown[]).length;
    expect(total).toBe(files.length);
  });
});
