/**
 * `npm run bench:dicomweb -- --data-plane [--mb 1024] [--instance-mb 64]`: one STOW-RS request
 * of that many megabytes (synthetic multi-frame CT instances generated on the fly) through the
 * local data plane, then WADO-RS of the whole study; prints MB/s for each and the process's peak
 * RSS (the runtime runs in this process, so the figure bounds server and client together).
 */
import { request } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readMultipart } from '#core/dicomweb/multipart-stream.ts';
import { startLocalRuntime } from '#infra/local/runtime.ts';
import { largeInstance, stowStream } from '#test/helpers/large-instances.ts';
import { authorizeFetchesTo } from '#test/helpers/runtime.ts';

export async function benchDataPlane(argv: string[]): Promise<void> {
  const option = (name: string, fallback: number) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? Number(argv[at + 1]) : fallback;
  };
  const totalMb = option('mb', 1024);
  const instanceMb = option('instance-mb', 64);
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-data-plane-'));
  const runtime = await startLocalRuntime({ port: 0, dataDir, log: () => {} });
  // The data plane verifies tokens as the API does: the STOW (node:http) and WADO (fetch) carry one of the test client's.
  const token = await authorizeFetchesTo(runtime.dataPlaneUrl, runtime.identity);
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  try {
    const study = `1.2.826.0.1.3680043.8.498.${Date.now()}`;
    const series = `${study}.1`;
    const count = Math.max(1, Math.round(totalMb / instanceMb));
    const instances = Array.from({ length: count }, (_, i) => largeInstance(study, series, i, instanceMb * 1024 * 1024));
    const bytes = instances.reduce((sum, instance) => sum + instance.size, 0);
    const boundary = 'strata-bench';

    let started = performance.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${runtime.dataPlaneUrl}/dicom-web/studies`, { method: 'POST', headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`, Authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      pipeline(Readable.from(stowStream(instances, boundary)), req).catch(reject);
    });
    const stowSeconds = (performance.now() - started) / 1000;
    const stowPeak = peak;
    if (status !== 200) throw new Error(`STOW answered ${status}`);

    peak = process.memoryUsage.rss();
    started = performance.now();
    const response = await fetch(`${runtime.dataPlaneUrl}/dicom-web/studies/${study}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
    const responseBoundary = /boundary=([^;]+)/.exec(response.headers.get('content-type') ?? '')![1]!;
    let same = 0;
    const sent = new Map(instances.map((instance) => [instance.sop, instance.sha256()]));
    for await (const part of readMultipart(Readable.fromWeb(response.body! as never), responseBoundary)) {
      const hash = createHash('sha256');
      for await (const chunk of part.body) hash.update(chunk);
      if (sent.get(part.headers['content-location']!.split('/').at(-1)!) === hash.digest('hex')) same++;
    }
    const wadoSeconds = (performance.now() - started) / 1000;
    const mb = bytes / 1024 / 1024;
    console.log(`data plane, ${count} instances of ${instanceMb} MB (${mb.toFixed(0)} MB in one request), local emulators:`);
    console.log(`  STOW  ${(mb / stowSeconds).toFixed(1)} MB/s (${stowSeconds.toFixed(1)} s), peak RSS ${(stowPeak / 1024 / 1024).toFixed(0)} MB`);
    console.log(`  WADO  ${(mb / wadoSeconds).toFixed(1)} MB/s (${wadoSeconds.toFixed(1)} s), peak RSS ${(peak / 1024 / 1024).toFixed(0)} MB; ${same}/${count} instances byte-identical (SHA-256)`);
  } finally {
    clearInterval(sampler);
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
