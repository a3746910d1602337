/**
 * Acceptance of the finance reports on the local runtime: a seeded archive of two tenants
 * moved through its tiers by the clock. At each step the API's bytes per tier equal S3's
 * (HeadObject storage class × size, summed here independently), a duplicate push and a
 * replayed event count nothing, and the bill of a quiet month equals the prices applied by
 * hand to what S3 holds.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HeadObjectCommand, ListObjectsV2Command, RestoreObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceObjectKey, type InstanceIdentity } from '#core/index-keys.ts';
import type { S3Event } from '#infra/local/s3/s3-events.ts';
import { s3For } from '#test/helpers/aws.ts';
import { sha256, stow } from '#test/helpers/dicom.ts';
import { synthesize } from '#test/helpers/synthetic.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

const GB = 2 ** 30;
const KB = 1024;

interface Study {
  bytes: Buffer;
  id: InstanceIdentity;
}

let serial = 0;
function study(tenant: string, modality: string, options: { studyDate?: string; small?: boolean } = {}): Study {
  serial += 1;
  const uids = { study: `1.2.826.0.1.3680043.10.1138.${serial}`, series: `1.2.826.0.1.3680043.10.1138.${serial}.1`, sop: `1.2.826.0.1.3680043.10.1138.${serial}.1.1` };
  const bytes = synthesize(options.small ? 'CT_small.dcm' : 'SC_rgb_jpeg_dcmd.dcm', { ...uids, modality, studyDate: options.studyDate ?? '20400101', patientId: `F${serial}` });
  return { bytes, id: { tenant, ...uids } };
}

interface OpexRow {
  month: string;
  tier?: string;
  tenant?: string;
  modality?: string;
  bytes: number;
  objects: number;
  cost: { storage: number; overhead: number; earlyDeletion: number; requests: number; retrieval: number; total: number };
}

describe('Finance: OpEx per tier on the local clock', () => {
  let runtime: TestRuntime;
  let s3: S3Client;
  let Bucket: string;
  const ct = study('default', 'CT');
  const mammogram = study('default', 'MG');
  const small = study('default', 'CT', { small: true });
  const legacy = study('default', 'CT', { studyDate: '20010101' });
  const otherTenant = study('hospital-b', 'MR');

  const clockNow = async () => new Date(((await (await fetch(`${runtime.url}/_local/clock`)).json()) as { now: string }).now);
  async function advance(body: Record<string, string>): Promise<void> {
    expect((await fetch(`${runtime.url}/_local/clock`, { method: 'POST', body: JSON.stringify(body) })).status).toBe(200);
    await runtime.events.idle();
  }

  async function opex(query: string, headers: Record<string, string> = {}): Promise<{ rows: OpexRow[]; totals: OpexRow['cost'] }> {
    const response = await fetch(`${runtime.url}/finance/opex?${query}`, { headers });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as { rows: OpexRow[]; totals: OpexRow['cost'] };
  }

  /** This month's report, every line (a double count of anything — bytes, PUTs, transitions — changes it). */
  async function thisMonth(): Promise<OpexRow[]> {
    const month = (await clockNow()).toISOString().slice(0, 7);
    return (await opex(`from=${month}&to=${month}&groupBy=tier,tenant,modality`)).rows;
  }

  /** Bytes per tier held now, as the API says (every tenant: the test client is an administrator). */
  async function apiTiers(): Promise<Record<string, number>> {
    const month = (await clockNow()).toISOString().slice(0, 7);
    const { rows } = await opex(`from=${month}&to=${month}&groupBy=tier`);
    return Object.fromEntries(rows.filter((r) => r.bytes !== 0).map((r) => [r.tier, r.bytes]));
  }

  /** Every instance object in S3, with its class and size and whether a restored copy is readable. */
  async function s3Objects(): Promise<{ key: string; tier: string; size: number; restored: boolean }[]> {
    const out: { key: string; tier: string; size: number; restored: boolean }[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken }));
      for (const object of page.Contents ?? []) {
        if (!/^[^/]+\/studies\/.*\.dcm$/.test(object.Key!)) continue;
        const head = await s3.send(new HeadObjectCommand({ Bucket, Key: object.Key! }));
        out.push({ key: object.Key!, tier: head.StorageClass ?? 'STANDARD', size: head.ContentLength!, restored: /ongoing-request="false"/.test(head.Restore ?? '') });
      }
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
    return out;
  }

  async function s3Tiers(): Promise<Record<string, number>> {
    const sums: Record<string, number> = {};
    for (const o of await s3Objects()) {
      sums[o.tier] = (sums[o.tier] ?? 0) + o.size;
      if (o.restored) sums.RESTORED = (sums.RESTORED ?? 0) + o.size;
    }
    return sums;
  }

  beforeAll(async () => {
    runtime = await startTestRuntime();
    s3 = s3For(runtime);
    Bucket = runtime.names.bucket('archive');
    await advance({ to: '2040-01-10T00:00:00Z' });
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('counts each ingest once: per-tier bytes equal S3 after a duplicate push', async () => {
    for (const s of [ct, mammogram, small, legacy]) expect((await stow(runtime.url, [s.bytes])).status).toBe(200);
    expect((await stow(runtime.url, [otherTenant.bytes], '/dicom-web/studies', await runtime.authorization('hospital-b'))).status).toBe(200);
    const first = await apiTiers();
    const report = await thisMonth();
    expect((await stow(runtime.url, [ct.bytes, small.bytes])).status).toBe(200); // duplicates
    expect(await thisMonth()).toEqual(report);
    expect(first).toEqual(await s3Tiers());
    expect(first.STANDARD).toBe([ct, mammogram, small, legacy, otherTenant].reduce((sum, s) => sum + s.bytes.length, 0));
  });

  it('follows the lifecycle: per-tier bytes equal S3 after each move, and a replayed event counts nothing', async () => {
    await advance({ advance: '+100d' });
    const after100 = await apiTiers();
    const report = await thisMonth();
    expect(after100).toEqual(await s3Tiers());
    expect(Object.keys(after100).sort()).toEqual(['DEEP_ARCHIVE', 'GLACIER_IR', 'STANDARD', 'STANDARD_IA']);

    const change = runtime.events.deliveries.findLast((d) => d.detailType === 'Object Storage Class Changed')!;
    const replay = {
      version: '0',
      id: 'replayed',
      'detail-type': 'Object Storage Class Changed',
      source: 'aws.s3',
      account: '000000000000',
      time: (await clockNow()).toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: { version: '0', bucket: { name: Bucket }, object: { key: change.key }, 'request-id': 'r', requester: 'test', 'destination-storage-class': (await s3.send(new HeadObjectCommand({ Bucket, Key: change.key }))).StorageClass },
    } as unknown as S3Event;
    runtime.events.publish(replay);
    await runtime.events.idle();
    expect(await thisMonth()).toEqual(report);

    await advance({ advance: '+4y' });
    expect(await apiTiers()).toEqual(await s3Tiers());
  });

  it('bills a quiet month as the prices applied by hand to what S3 holds', async () => {
    await advance({ advance: '+70d' });
    const now = await clockNow();
    const previous = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
    // us-east-1 per GB-month; IA and Glacier IR bill at least 128 KB; Deep Archive adds 8 KB at Standard + 32 KB at its rate.
    const rate: Record<string, number> = { STANDARD: 0.023, STANDARD_IA: 0.0125, GLACIER_IR: 0.004, DEEP_ARCHIVE: 0.00099 };
    let byHand = 0;
    for (const o of await s3Objects()) {
      const billable = o.tier === 'STANDARD_IA' || o.tier === 'GLACIER_IR' ? Math.max(o.size, 128 * KB) : o.size;
      byHand += (billable / GB) * rate[o.tier]!;
      if (o.tier === 'DEEP_ARCHIVE') byHand += ((8 * KB) / GB) * 0.023 + ((32 * KB) / GB) * 0.00099;
    }
    const { totals, rows } = await opex(`from=${previous}&to=${previous}&groupBy=tier`);
    expect(totals.requests + totals.earlyDeletion + totals.retrieval).toBe(0);
    expect(totals.total).toBeCloseTo(byHand, 12);
    expect(byHand).toBeGreaterThan(0);
    expect(Object.fromEntries(rows.map((r) => [r.tier, r.bytes]))).toEqual(await s3Tiers());
  });

  it('counts a restored copy while it lasts, at the Standard rate, and a delete out', async () => {
    await s3.send(new RestoreObjectCommand({ Bucket, Key: instanceObjectKey(ct.id, sha256(ct.bytes)), RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: 'Standard' } } }));
    await advance({ advance: '+13h' });
    const restored = await apiTiers();
    expect(restored.RESTORED).toBe(ct.bytes.length);
    expect(restored).toEqual(await s3Tiers());
    await advance({ advance: '+3d' });
    expect((await apiTiers()).RESTORED).toBeUndefined();

    const response = await fetch(`${runtime.url}/dicom-web/studies/${small.id.study}`, { method: 'DELETE' });
    expect(response.status).toBeLessThan(300);
    const afterDelete = await apiTiers();
    expect(afterDelete).toEqual(await s3Tiers());
    // the small CT was the only object left on Standard (under 128 KB, it never moves)
    expect(afterDelete.STANDARD).toBeUndefined();
  });

  it('shows each tenant its own figures, an administrator every tenant, as JSON or CSV', async () => {
    const year = (await clockNow()).toISOString().slice(0, 4);
    const own = await opex(`from=${year}-01&groupBy=tenant,modality`, await runtime.authorization('hospital-b', ['finance.read']));
    expect(new Set(own.rows.map((r) => r.tenant))).toEqual(new Set(['hospital-b']));
    const all = await opex(`from=${year}-01&groupBy=tenant`);
    expect(new Set(all.rows.map((r) => r.tenant))).toEqual(new Set(['default', 'hospital-b']));
    const refused = await fetch(`${runtime.url}/finance/opex?tenant=default`, { headers: await runtime.authorization('hospital-b', ['finance.read']) });
    expect(refused.status).toBe(403);
    const noScope = await fetch(`${runtime.url}/finance/opex`, { headers: await runtime.authorization('hospital-b', ['dicom.read']) });
    expect(noScope.status).toBe(403);
    expect((await fetch(`${runtime.url}/finance/opex?groupBy=colour`)).status).toBe(400);

    for (const request of [fetch(`${runtime.url}/finance/opex?groupBy=tier`, { headers: { Accept: 'text/csv' } }), fetch(`${runtime.url}/finance/opex?groupBy=tier&format=csv`)]) {
      const csv = await request;
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      const [header, ...lines] = (await csv.text()).trim().split('\r\n');
      expect(header).toBe('month,tier,objects,bytes,gbMonths,storageUSD,overheadUSD,earlyDeletionUSD,requestsUSD,retrievalUSD,totalUSD');
      expect(lines.length).toBeGreaterThan(0);
    }
  });

  it('projects the bill under the policy, and against a proposed one with the difference in dollars', async () => {
    const get = await fetch(`${runtime.url}/finance/projection?years=2&ingestGbPerMonth=100`);
    expect(get.status).toBe(200);
    const projected = (await get.json()) as { ingest: { gbPerMonth: number }; projection: { years: { cumulative: number }[]; months: unknown[] } };
    expect(projected.ingest.gbPerMonth).toBeCloseTo(100, 6);
    expect(projected.projection.years).toHaveLength(2);
    expect(projected.projection.months).toHaveLength(24);

    const allStandard = { version: 2, rules: [{ id: 'hot', match: {}, schedule: ['STANDARD 0d'] }] };
    const post = await fetch(`${runtime.url}/finance/projection`, { method: 'POST', body: JSON.stringify({ policy: allStandard, years: 10, ingestGbPerMonth: 100 }) });
    expect(post.status).toBe(200);
    const { comparison } = (await post.json()) as { comparison: { current: { total: number }; proposed: { total: number }; totalDifference: number } };
    expect(comparison.totalDifference).toBeCloseTo(comparison.proposed.total - comparison.current.total, 6);
    expect(comparison.totalDifference).toBeGreaterThan(0);

    const bad = await fetch(`${runtime.url}/finance/projection`, { method: 'POST', body: JSON.stringify({ policy: { version: 1, rules: [{ id: 'x', match: {}, schedule: ['STANDARD 0d', 'STANDARD_IA 10d'] }] } }) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/no sooner than 30 days/);
  });

  it('reconciles a month with what Cost Explorer billed the archive bucket (npm run report:opex -- --reconcile)', async () => {
    const month = '2040-02';
    const { rows } = (await (await fetch(`${runtime.url}/finance/opex?from=${month}&to=${month}&groupBy=tier`)).json()) as { rows: OpexRow[] };
    const modelled = (tier: string) => rows.filter((r) => r.tier === tier).reduce((sum, r) => sum + r.cost.storage + r.cost.overhead, 0);
    expect(modelled('STANDARD')).toBeGreaterThan(0);
    // A stand-in for Cost Explorer's endpoint (the real SDK client sends to it): a bill $1.00
    // over the model on Standard storage, and a charge the model does not price.
    const requests: { target: string | undefined; body: Record<string, unknown> }[] = [];
    const bill = [
      { Keys: ['TimedStorage-ByteHrs'], Metrics: { UnblendedCost: { Amount: String(modelled('STANDARD') + 1), Unit: 'USD' } } },
      { Keys: ['DataTransfer-Out-Bytes'], Metrics: { UnblendedCost: { Amount: '2.5', Unit: 'USD' } } },
    ];
    const ce = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        requests.push({ target: request.headers['x-amz-target'] as string | undefined, body: JSON.parse(body) as Record<string, unknown> });
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ ResultsByTime: [{ TimePeriod: { Start: `${month}-01`, End: '2040-03-01' }, Groups: bill, Estimated: false }] }));
      });
    });
    await new Promise<void>((resolve) => ce.listen(0, '127.0.0.1', resolve));
    try {
      const root = join(import.meta.dirname, '..', '..');
      const env = { ...process.env, AWS_ENDPOINT_URL_COST_EXPLORER: `http://127.0.0.1:${(ce.address() as { port: number }).port}`, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example', AWS_REGION: 'us-east-1' };
      const { stdout } = await promisify(execFile)(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'report-opex.ts'), '--reconcile', month, '--url', runtime.url, '--token', runtime.testToken], { cwd: root, env });
      expect(requests).toHaveLength(1);
      expect(requests[0]!.target).toBe('AWSInsightsIndexService.GetCostAndUsage');
      expect(requests[0]!.body).toMatchObject({
        TimePeriod: { Start: '2040-02-01', End: '2040-03-01' },
        Granularity: 'MONTHLY',
        Filter: { Tags: { Key: 'strata:bucket', Values: ['Strata/archive'] } },
        GroupBy: [{ Type: 'DIMENSION', Key: 'USAGE_TYPE' }],
      });
      const line = (label: string) => stdout.split('\n').find((l) => l.startsWith(label))?.trim().split(/\s{2,}/);
      expect(line('storage STANDARD')?.[3]).toBe('$1.00');
      expect(stdout).toContain('not modelled: DataTransfer-Out-Bytes $2.50');
    } finally {
      ce.close();
    }
  }, 120_000);
});
