/**
 * `npm run report:opex` prints the monthly OpEx report of the archive at STRATA_URL (default the
 * local runtime, http://127.0.0.1:8080) as a table, from GET /finance/opex:
 *
 *   npm run report:opex -- [--from 2026-01] [--to 2026-12] [--group-by tier,tenant,modality] [--tenant ID] [--csv]
 *   npm run report:opex -- --project [--years 10] [--ingest-gb 500] [--proposed policies/other.yaml | --compare all-standard]
 *   npm run report:opex -- --reconcile 2026-11 [--bucket-tag Strata/archive]
 *
 * `--project` prints the projection under the deployed policy; with `--proposed FILE` (a policy
 * file, checked by the same loader as the synth) or `--compare all-standard`, both side by side
 * with the difference. The token is STRATA_TOKEN (or --token); locally, without one, the script
 * signs a short-lived administrator token with the data directory's key (STRATA_DATA_DIR).
 *
 * `--reconcile MONTH` (AWS mode) sets the model's month, per storage class and charge, beside
 * what Cost Explorer billed the archive bucket (its cost allocation tag `strata:bucket`), with
 * the caller's AWS credentials (docs/finance.md, "Reconciling with Cost Explorer").
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ADMIN_SCOPE } from '#core/identity/scopes.ts';
import { COST_ALLOCATION_TAG, reconcile } from '#core/finance/reconcile.ts';
import type { OpexRow } from '#core/finance/report.ts';
import { loadPolicy } from '#infra/lifecycle/load-policy.ts';
import { LocalIdentity } from '#infra/local/local-identity.ts';
import { billedUsage } from './billed-usage.ts';

const { values: args } = parseArgs({
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    'group-by': { type: 'string', default: 'tier' },
    tenant: { type: 'string' },
    csv: { type: 'boolean', default: false },
    project: { type: 'boolean', default: false },
    years: { type: 'string', default: '10' },
    'ingest-gb': { type: 'string' },
    proposed: { type: 'string' },
    compare: { type: 'string' },
    reconcile: { type: 'string' },
    'bucket-tag': { type: 'string', default: 'Strata/archive' },
    token: { type: 'string' },
    url: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run report:opex -- [--from YYYY-MM] [--to YYYY-MM] [--group-by tier,tenant,modality] [--tenant ID] [--csv]
       npm run report:opex -- --project [--years 1-10] [--ingest-gb GB_PER_MONTH] [--proposed POLICY.yaml | --compare all-standard]
       npm run report:opex -- --reconcile YYYY-MM [--bucket-tag STACK/BUCKET]   (AWS credentials with ce:GetCostAndUsage)
Reads GET /finance/opex or /finance/projection of STRATA_URL (default http://127.0.0.1:8080) with STRATA_TOKEN or --token
(locally, an administrator token signed with STRATA_DATA_DIR's key).`);
  process.exit(0);
}

const base = args.url ?? process.env.STRATA_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`;
const token =
  args.token ??
  process.env.STRATA_TOKEN ??
  (await (await LocalIdentity.open(resolve(process.env.STRATA_DATA_DIR ?? '.strata'))).issue({ tenant: process.env.STRATA_TENANT ?? 'default', scopes: [ADMIN_SCOPE, 'finance.read'], clientId: 'npm-run-report-opex', ttlSeconds: 300 }));

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } }).catch((error: unknown) => {
    console.error(`cannot reach ${base} (is npm start running?): ${String(error)}`);
    process.exit(1);
  });
  if (!response.ok) {
    console.error(`${response.status}: ${await response.text()}`);
    process.exit(1);
  }
  return response;
}

const usd = (n: number) => (Math.abs(n) < 0.01 && n !== 0 ? `$${n.toExponential(2)}` : `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(3)} GiB`;
const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) console.log(row.map((cell, i) => (i === 0 || i < rows[0]!.length - 5 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
};

interface Row { month: string; tier?: string; tenant?: string; modality?: string; objects: number; bytes: number; cost: Record<string, number> }
interface Year { year: number; monthlyAtYearEnd: Record<string, number>; monthlyTotalAtYearEnd: number; yearTotal: number; cumulative: number }

if (args.reconcile) {
  const month = args.reconcile;
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) {
    console.error(`--reconcile takes a month, YYYY-MM: ${month}`);
    process.exit(2);
  }
  const report = (await (await call(`/finance/opex?${new URLSearchParams({ from: month, to: month, groupBy: 'tier' })}`)).json()) as { rows: OpexRow[] };
  const billed = await billedUsage(month, { key: COST_ALLOCATION_TAG, value: args['bucket-tag'] });
  const result = reconcile(month, report.rows, billed);
  const share = (r: number | null) => (r === null ? '' : `${(r * 100).toFixed(1)} %`);
  console.log(`${month}: the model beside Cost Explorer (tag ${COST_ALLOCATION_TAG}=${args['bucket-tag']}; difference = billed − modelled)`);
  table([
    ['charge', 'modelled', 'billed', 'difference', 'of billed'],
    ...Object.entries(result.storage).map(([tier, d]) => [`storage ${tier}`, usd(d.modelled), usd(d.billed), usd(d.difference), share(d.relative)]),
    ...Object.entries(result.lines).map(([line, d]) => [line, usd(d.modelled), usd(d.billed), usd(d.difference), share(d.relative)]),
    ['total', usd(result.total.modelled), usd(result.total.billed), usd(result.total.difference), share(result.total.relative)],
  ]);
  if (billed.length === 0) console.log(`Cost Explorer has no charges under ${COST_ALLOCATION_TAG}=${args['bucket-tag']}: is the tag activated as a cost allocation tag (Billing console), and is the month over?`);
  for (const { usageType, usd: cost } of result.notModelled) console.log(`not modelled: ${usageType} ${usd(cost)}`);
} else if (!args.project) {
  const query = new URLSearchParams({ groupBy: args['group-by'] });
  for (const name of ['from', 'to', 'tenant'] as const) if (args[name]) query.set(name, args[name]);
  if (args.csv) {
    process.stdout.write(await (await call(`/finance/opex?${query}&format=csv`)).text());
    process.exit(0);
  }
  const report = (await (await call(`/finance/opex?${query}`)).json()) as { rows: Row[]; groupBy: string[]; totals: Record<string, number>; prices: { region: string; asOf: Record<string, string> }; currentMonth: string };
  console.log(`OpEx per month (${report.prices.region} prices as of ${report.prices.asOf.s3PricingPageSnapshot}; ${report.currentMonth} assumes what is held now stays to its end)`);
  table([
    ['month', ...report.groupBy, 'objects', 'held', 'storage', 'requests', 'total'],
    ...report.rows.map((r) => [r.month, ...report.groupBy.map((d) => String(r[d as 'tier'] ?? '')), String(r.objects), gib(r.bytes), usd(r.cost.storage! + r.cost.overhead! + r.cost.earlyDeletion!), usd(r.cost.requests! + r.cost.retrieval!), usd(r.cost.total!)]),
  ]);
  console.log(`total ${usd(report.totals.total!)}`);
} else {
  const query = new URLSearchParams({ years: args.years });
  if (args['ingest-gb']) query.set('ingestGbPerMonth', args['ingest-gb']);
  if (args.tenant) query.set('tenant', args.tenant);
  let answer: { ingest: { gbPerMonth: number; measured: boolean }; archive: { bytes: number }; projection?: { years: Year[]; total: number }; comparison?: { current: { years: Year[]; total: number }; proposed: { years: Year[]; total: number }; difference: { year: number; cumulative: number }[]; totalDifference: number } };
  if (args.proposed) {
    const body = JSON.stringify({ policy: loadPolicy(args.proposed), years: Number(args.years), ...(args['ingest-gb'] ? { ingestGbPerMonth: Number(args['ingest-gb']) } : {}) });
    query.delete('years');
    query.delete('ingestGbPerMonth');
    answer = (await (await call(`/finance/projection?${query}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })).json()) as typeof answer;
  } else {
    if (args.compare) query.set('compare', args.compare);
    answer = (await (await call(`/finance/projection?${query}`)).json()) as typeof answer;
  }
  console.log(`archive ${gib(answer.archive.bytes)}; ingest ${answer.ingest.gbPerMonth.toFixed(1)} GiB/month (${answer.ingest.measured ? 'measured over the last 30 days' : 'given'})`);
  if (answer.projection) {
    const tiers = [...new Set(answer.projection.years.flatMap((y) => Object.keys(y.monthlyAtYearEnd)))];
    table([
      ['year', ...tiers.map((t) => `${t}/mo`), 'month', 'year', 'cumulative'],
      ...answer.projection.years.map((y) => [String(y.year), ...tiers.map((t) => usd(y.monthlyAtYearEnd[t] ?? 0)), usd(y.monthlyTotalAtYearEnd), usd(y.yearTotal), usd(y.cumulative)]),
    ]);
  } else if (answer.comparison) {
    const c = answer.comparison;
    table([
      ['year', 'current/mo', 'proposed/mo', 'current cum.', 'proposed cum.', 'difference'],
      ...c.current.years.map((y, i) => [String(y.year), usd(y.monthlyTotalAtYearEnd), usd(c.proposed.years[i]!.monthlyTotalAtYearEnd), usd(y.cumulative), usd(c.proposed.years[i]!.cumulative), usd(c.difference[i]!.cumulative)]),
    ]);
    console.log(`the proposed policy ${c.totalDifference <= 0 ? 'saves' : 'costs'} ${usd(Math.abs(c.totalDifference))} over ${c.current.years.length} year(s)`);
  }
}
