/**
 * The finance use cases: the monthly OpEx report and the projection, from the usage counters
 * (adapters/finance/usage-store.ts) and the pure model (core/finance). `tenant` undefined means
 * every tenant (administrators); the tenants are found in the balance partition, by Query.
 */
import { DEFAULT_PRICES, type PriceTable } from '#core/finance/price-table.ts';
import { ALL_STANDARD, comparePolicies, DAYS_PER_MONTH, project, type Cohort, type PolicyComparison, type Projection } from '#core/finance/projection.ts';
import { opexReport, type OpexQuery, type OpexReport } from '#core/finance/report.ts';
import type { CounterRow } from '#core/finance/usage.ts';
import { BYTES_PER_GB, dayOf, monthOf } from '#core/finance/units.ts';
import type { LifecyclePolicy } from '#core/lifecycle/policy.ts';
import { balances, dayRows, monthRows } from '#adapters/finance/usage-store.ts';

const DAY_MS = 86_400_000;
/** The first month any counter can have (months before hold nothing). */
const EPOCH_MONTH = '2000-01';
/** The ingest rate is measured over the daily history of the last 30 days. */
const RATE_WINDOW_DAYS = 30;
/** The object size assumed for a given ingest rate when the archive has no history to take a mix from. */
const DEFAULT_OBJECT_BYTES = 512 * 1024;

async function tenantsOf(tenant: string | undefined): Promise<{ held: CounterRow[]; tenants: string[] }> {
  const held = await balances(tenant);
  return { held, tenants: tenant === undefined ? [...new Set(held.map((r) => r.tenant))] : [tenant] };
}

export async function opex(tenant: string | undefined, query: OpexQuery, now: Date, prices: PriceTable = DEFAULT_PRICES): Promise<OpexReport> {
  const current = monthOf(now.toISOString());
  const { held, tenants } = await tenantsOf(tenant);
  const months = query.from > current ? [] : (await Promise.all(tenants.map((t) => monthRows(t, query.from, current)))).flat();
  return opexReport(query, held, months, current, prices);
}

const cohortKey = (r: CounterRow) => `${r.tenant}\u0000${r.modality}`;
const asCohort = (r: CounterRow): Cohort => ({ tenant: r.tenant, modality: r.modality, bytes: r.ingestedBytes, objects: r.ingestedObjects, smallBytes: r.smallIngestedBytes, smallObjects: r.smallIngestedObjects });

function add(into: Map<string, Cohort>, key: string, row: CounterRow): void {
  const c = into.get(key);
  if (!c) into.set(key, asCohort(row));
  else Object.assign(c, { bytes: c.bytes + row.ingestedBytes, objects: c.objects + row.ingestedObjects, smallBytes: c.smallBytes + row.smallIngestedBytes, smallObjects: c.smallObjects + row.smallIngestedObjects });
}

export interface ProjectionOptions {
  years: number;
  /** GB ingested per month; measured from the last 30 days of daily history when absent. */
  ingestGbPerMonth?: number | undefined;
}

export interface ProjectionAnswer {
  start: string;
  years: number;
  ingest: { gbPerMonth: number; measured: boolean };
  archive: { bytes: number; cohorts: number };
  prices: { region: string; asOf: Record<string, string> };
  projection?: Projection;
  comparison?: PolicyComparison;
}

/**
 * The archive as cohorts by ingest month (from the month counters' ingested bytes), scaled to
 * what is held now (deletions are not kept per cohort), and the monthly ingest.
 */
async function projectionInput(tenant: string | undefined, options: ProjectionOptions, now: Date) {
  const { held, tenants } = await tenantsOf(tenant);
  const current = monthOf(now.toISOString());
  const history = (await Promise.all(tenants.map((t) => monthRows(t, EPOCH_MONTH, current)))).flat();
  const byMonth = new Map<string, Cohort>();
  const ages = new Map<string, number>();
  for (const row of history.filter((r) => r.ingestedBytes > 0)) {
    const key = `${row.month}\u0000${cohortKey(row)}`;
    add(byMonth, key, row);
    const mid = Date.parse(`${row.month}-01T00:00:00.000Z`) + 15 * DAY_MS;
    ages.set(key, Math.max(0, (now.getTime() - Math.min(mid, now.getTime())) / DAY_MS));
  }
  const ingested = [...byMonth.values()].reduce((s, c) => s + c.bytes, 0);
  const heldBytes = held.filter((r) => r.tier !== 'RESTORED').reduce((s, r) => s + r.bytes, 0);
  const scale = ingested > 0 ? heldBytes / ingested : 0;
  const archive = [...byMonth.entries()].map(([key, c]) => ({
    ...c,
    bytes: c.bytes * scale,
    objects: c.objects * scale,
    smallBytes: c.smallBytes * scale,
    smallObjects: c.smallObjects * scale,
    ageDays: ages.get(key)!,
  }));

  const since = dayOf(new Date(now.getTime() - (RATE_WINDOW_DAYS - 1) * DAY_MS).toISOString());
  const recent = new Map<string, Cohort>();
  for (const row of (await Promise.all(tenants.map((t) => dayRows(t, since, dayOf(now.toISOString()))))).flat()) if (row.ingestedBytes > 0) add(recent, cohortKey(row), row);
  let monthly = [...recent.values()].map((c) => scaled(c, DAYS_PER_MONTH / RATE_WINDOW_DAYS));
  const measured = monthly.reduce((s, c) => s + c.bytes, 0);
  if (options.ingestGbPerMonth !== undefined) {
    const wanted = options.ingestGbPerMonth * BYTES_PER_GB;
    const mix = measured > 0 ? monthly : archive.length ? archive : [];
    const mixBytes = mix.reduce((s, c) => s + c.bytes, 0);
    monthly = mixBytes > 0
      ? mix.map((c) => scaled(c, wanted / mixBytes))
      : [{ tenant: tenant ?? 'all', modality: 'UNKNOWN', bytes: wanted, objects: wanted / DEFAULT_OBJECT_BYTES, smallBytes: 0, smallObjects: 0 }];
  }
  const gbPerMonth = monthly.reduce((s, c) => s + c.bytes, 0) / BYTES_PER_GB;
  return { archive, monthly, heldBytes, gbPerMonth, measured: options.ingestGbPerMonth === undefined };
}

const scaled = (c: Cohort, factor: number): Cohort => ({ ...c, bytes: c.bytes * factor, objects: c.objects * factor, smallBytes: c.smallBytes * factor, smallObjects: c.smallObjects * factor });

/**
 * The projection under `policy`, or — given `proposed` (a policy, or 'all-standard') — both
 * side by side with the difference in dollars.
 */
export async function projection(
  tenant: string | undefined,
  policy: LifecyclePolicy,
  proposed: LifecyclePolicy | 'all-standard' | undefined,
  options: ProjectionOptions,
  now: Date,
  prices: PriceTable = DEFAULT_PRICES,
): Promise<ProjectionAnswer> {
  const input = await projectionInput(tenant, options, now);
  const projectionInputs = { start: now.toISOString(), years: options.years, archive: input.archive, monthlyIngest: input.monthly };
  const answer: ProjectionAnswer = {
    start: now.toISOString(),
    years: options.years,
    ingest: { gbPerMonth: input.gbPerMonth, measured: input.measured },
    archive: { bytes: input.heldBytes, cohorts: input.archive.length },
    prices: { region: prices.region, asOf: prices.asOf },
  };
  if (proposed === undefined) answer.projection = project(policy, projectionInputs, prices);
  else answer.comparison = comparePolicies(policy, proposed === 'all-standard' ? ALL_STANDARD : proposed, projectionInputs, prices);
  return answer;
}
