/**
 * `npm run bench:audit`: what the audit trail costs on the local runtime. Appends records
 * through the service every audited request uses (sequentially, then at rising concurrency, so
 * writers race for the chain heads), times QIDO requests that each append one, and times the
 * verification of the whole trail. Figures are local (dynalite), for comparison between
 * changes, not AWS latencies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime } from '#infra/local/runtime.ts';
import { auditEntries } from '#core/audit/record.ts';

const APPENDS = Number(process.argv[process.argv.indexOf('--appends') + 1]) || 300;
const REQUESTS = Number(process.argv[process.argv.indexOf('--requests') + 1]) || 100;

const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-audit-'));
const runtime = await startLocalRuntime({ port: 0, dataDir, log: () => {} });
try {
  // Imported after the runtime has set the functions' environment (endpoints, table names).
  const { recordAudit } = await import('#adapters/audit/record-audit.ts');
  const { verifyAuditTrail } = await import('#services/audit/verify-audit.ts');
  const entry = (n: number) =>
    auditEntries(
      { kind: 'retrieve', at: new Date(), method: 'GET', resource: '/dicom-web/studies/{study}', status: 200, requestId: `bench-${n}`, sourceIp: '127.0.0.1', caller: { clientId: 'bench', tenant: 'bench', scopes: [] } },
      [{ patientId: `P${n % 50}`, studies: [`2.25.${n}`] }],
    );
  const percentile = (values: number[], p: number) => values.sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

  console.log(`appends through recordAudit (${APPENDS} each)`);
  for (const concurrency of [1, 8, 32]) {
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < APPENDS) {
          const n = next++;
          const t = performance.now();
          await recordAudit(entry(n));
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`  concurrency ${String(concurrency).padStart(2)}: ${(APPENDS / seconds).toFixed(0)} appends/s, p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms`);
  }

  const latencies: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const response = await fetch(`${runtime.url}/dicom-web/studies?PatientID=P${i}`);
    await response.arrayBuffer();
    latencies.push(performance.now() - t);
  }
  console.log(`QIDO requests (empty archive, each recorded), sequential: p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms`);

  for (const tenant of ['bench', 'default']) {
    const t = performance.now();
    const result = await verifyAuditTrail(tenant);
    const ms = performance.now() - t;
    const records = result.shards.reduce((sum, shard) => sum + shard.records, 0);
    console.log(`verification of tenant ${tenant}: ${records} records in ${ms.toFixed(0)} ms (${((records / ms) * 1000).toFixed(0)} records/s), intact ${result.intact}, per shard ${result.shards.map((s) => s.records).join('/')}`);
  }
} finally {
  await runtime.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
