/**
 * `npm run bench:finance`: the modelled 10-year storage cost of 1 TiB ingested once — under the
 * default lifecycle policy (policies/lifecycle.yaml), all on S3 Standard, and on AWS
 * HealthImaging at its published prices — then how fast the pure cost model runs: the monthly
 * report over many counter rows, and a 10-year projection of many cohorts.
 */
import { performance } from 'node:perf_hooks';
import { DEFAULT_PRICES as P } from '#core/finance/price-table.ts';
import { ALL_STANDARD, healthImagingStorageCost, project, type Cohort } from '#core/finance/projection.ts';
import { opexReport, parseOpexQuery } from '#core/finance/report.ts';
import { operationCost, type OperationProfile } from '#core/finance/serverless-cost.ts';
import { COUNTERS, type CounterRow } from '#core/finance/usage.ts';
import { loadPolicy } from '#infra/lifecycle/load-policy.ts';

const TB = 2 ** 40;
const policy = loadPolicy();
const start = '2027-01-01T00:00:00.000Z';
const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

const tb = (modality: string, objectBytes: number): Cohort => ({ tenant: 'bench', modality, bytes: TB, objects: TB / objectBytes, smallBytes: 0, smallObjects: 0 });
const tenYears = (p: typeof policy, c: Cohort) => project(p, { start, years: 10, archive: [{ ...c, ageDays: 0 }], monthlyIngest: [] }, P);

console.log(`10-year storage cost of 1 TiB ingested once (us-east-1 prices as of ${P.asOf.s3PricingPageSnapshot}; HealthImaging ${P.asOf.healthImagingPrices}):`);
const lines: [string, number][] = [
  ['default policy, clinical (CT, 512 KiB objects: Std → IA 30 d → Glacier IR 90 d → Deep Archive 3 y)', tenYears(policy, tb('CT', 512 * 1024)).total],
  ['default policy, mammography (MG, 32 MiB objects: Std → IA 60 d → Glacier IR 1 y → Deep Archive 10 y)', tenYears(policy, tb('MG', 32 * 2 ** 20)).total],
  ['all on S3 Standard', tenYears(ALL_STANDARD, tb('CT', 512 * 1024)).total],
  ['AWS HealthImaging (30 d Frequent Access, then Archive Instant Access; never read)', healthImagingStorageCost(TB, 120, P)],
];
for (const [name, dollars] of lines) console.log(`  ${usd(dollars).padStart(10)}  ${name}`);

// Serverless running costs per million operations, modelled (docs/finance.md gives the assumptions).
const quiet = { apiRequests: 0, stepTransitions: 0, kmsRequests: 0, customEvents: 0 };
const profiles: [string, OperationProfile][] = [
  // API request, 1,769 MB × 300 ms, the STOW transaction (instance ~4 KB, series, study, 3 counters: ×2) and 2 reads; S3's event is free.
  ['STOW of one instance', { ...quiet, apiRequests: 1, lambdaInvocations: 1, lambdaMemoryMb: 1769, lambdaMs: 300, dynamoWriteUnits: 20, dynamoReadUnits: 2, awsServiceEvents: 1 }],
  // EventBridge (free: an S3 event) → 128 MB × 50 ms, two reads, a transaction of the item and 3 counters (×2).
  ['tier change of one object', { ...quiet, lambdaInvocations: 1, lambdaMemoryMb: 128, lambdaMs: 50, dynamoWriteUnits: 8, dynamoReadUnits: 2, awsServiceEvents: 1 }],
  // A monthly report: an API request, 128 MB × 500 ms, ~100 read units of counters.
  ['OpEx report', { ...quiet, apiRequests: 1, lambdaInvocations: 1, lambdaMemoryMb: 128, lambdaMs: 500, dynamoWriteUnits: 0, dynamoReadUnits: 100, awsServiceEvents: 0 }],
];
console.log('serverless cost per million operations (modelled):');
for (const [name, profile] of profiles) {
  const c = operationCost(P, profile, 1e6);
  console.log(`  ${usd(c.total).padStart(10)}  ${name} (API Gateway ${usd(c.apiGateway)}, Lambda ${usd(c.lambda)}, DynamoDB ${usd(c.dynamoDb)}, EventBridge ${usd(c.eventBridge)})`);
}

// The report over a large archive's counters: 100 tenants × 5 tiers × 20 modalities × 8 shards.
const rows: CounterRow[] = [];
const months: CounterRow[] = [];
const zero = Object.fromEntries(COUNTERS.map((c) => [c, 0]));
for (let t = 0; t < 100; t++)
  for (const tier of ['STANDARD', 'STANDARD_IA', 'GLACIER_IR', 'DEEP_ARCHIVE', 'RESTORED'] as const)
    for (let m = 0; m < 20; m++)
      for (let s = 0; s < 8; s++) {
        const dims = { tenant: `t${t}`, tier, modality: `M${m}` };
        rows.push({ ...zero, ...dims, objects: 1000, bytes: 5e8, billable: 5e8 } as CounterRow);
        for (const month of ['2027-01', '2027-02', '2027-03']) months.push({ ...zero, ...dims, month, objects: 10, bytes: 5e6, billable: 5e6, byteHours: 5e6 * 300, objectHours: 3000, puts: 10 } as CounterRow);
      }
let began = performance.now();
const report = opexReport(parseOpexQuery({ from: '2027-01', to: '2027-03', groupBy: 'tier,tenant' }, '2027-03'), rows, months, '2027-03', P);
const reportMs = performance.now() - began;
console.log(`report: ${rows.length.toLocaleString('en-US')} balance + ${months.length.toLocaleString('en-US')} month rows → ${report.rows.length} lines in ${reportMs.toFixed(0)} ms (${Math.round((rows.length + months.length) / (reportMs / 1000)).toLocaleString('en-US')} rows/s)`);

// A 10-year projection of 120 monthly cohorts × 20 modalities with a monthly ingest of 20 modalities.
const archive = Array.from({ length: 120 * 20 }, (_, i) => ({ ...tb(['CT', 'MR', 'MG', 'US', 'CR'][i % 5]!, 512 * 1024), modality: `${['CT', 'MR', 'MG', 'US', 'CR'][i % 5]}`, ageDays: Math.floor(i / 20) * 30 }));
const ingest = Array.from({ length: 20 }, (_, i) => tb(['CT', 'MR', 'MG', 'US', 'CR'][i % 5]!, 512 * 1024));
began = performance.now();
project(policy, { start, years: 10, archive, monthlyIngest: ingest }, P);
const projectionMs = performance.now() - began;
console.log(`projection: 10 years of ${archive.length.toLocaleString('en-US')} cohorts + 20 a month in ${projectionMs.toFixed(0)} ms`);
