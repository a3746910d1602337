/**
 * The monthly OpEx report from the usage counters: per month from `from` to `to`, what was held
 * (bytes and objects at the month's end), its GB-months (the bytes held at the month's start for
 * every hour plus each change's byte-hours) and what S3 bills for it — storage with the Standard
 * bands over the whole report's scope, archive overhead, early deletion, PUTs, transitions and
 * retrievals — grouped by any of tier, tenant and modality. Pure: the adapter reads the counters.
 *
 * Opening balances come from the balance (held now) minus every month's change since: so the
 * month rows needed run from `from` to the current month, never from the archive's beginning.
 */
import { BadRequestError } from '#core/errors.ts';
import type { PriceTable, StorageTier } from './price-table.ts';
import { putCharge, retrievalCharge, storageCharges, storagePrice, transitionCharge, type TierHolding } from './s3-cost.ts';
import { COUNTERS, type CounterRow, type UsageTier } from './usage.ts';
import { BYTES_PER_GB, hoursInMonth, monthsBetween } from './units.ts';

export const DIMENSIONS = ['tier', 'tenant', 'modality'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export interface OpexQuery {
  from: string;
  to: string;
  groupBy: Dimension[];
}

export interface CostLines {
  storage: number;
  overhead: number;
  earlyDeletion: number;
  requests: number;
  retrieval: number;
  total: number;
}

export interface OpexRow {
  month: string;
  tier?: UsageTier;
  tenant?: string;
  modality?: string;
  /** Held at the month's end (or now, for the current month). */
  objects: number;
  bytes: number;
  /** Billable GB-months of the month (overhead aside). */
  gbMonths: number;
  cost: CostLines;
}

export interface OpexReport {
  from: string;
  to: string;
  groupBy: Dimension[];
  currency: string;
  prices: { region: string; asOf: Record<string, string> };
  /** The current month's figures assume what is held now stays until its end. */
  currentMonth: string;
  rows: OpexRow[];
  totals: CostLines;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const MAX_MONTHS = 240;

/** `from`, `to` (YYYY-MM, default: the current month) and `groupBy` (comma-separated; default tier). */
export function parseOpexQuery(params: Record<string, string | undefined>, currentMonth: string): OpexQuery {
  const to = params.to || currentMonth;
  const from = params.from || to;
  for (const [name, value] of [['from', from], ['to', to]] as const) {
    if (!MONTH.test(value)) throw new BadRequestError(`${name} must be a month, YYYY-MM ("${value}" given)`);
  }
  if (from > to) throw new BadRequestError(`from (${from}) is after to (${to})`);
  if (monthsBetween(from, to).length > MAX_MONTHS) throw new BadRequestError(`at most ${MAX_MONTHS} months per report`);
  const groupBy = (params.groupBy ?? 'tier').split(',').map((d) => d.trim()).filter(Boolean);
  const unknown = groupBy.filter((d) => !(DIMENSIONS as readonly string[]).includes(d));
  if (unknown.length) throw new BadRequestError(`groupBy takes ${DIMENSIONS.join(', ')} (not ${unknown.join(', ')})`);
  return { from, to, groupBy: [...new Set(groupBy)] as Dimension[] };
}

const keyOf = (r: Pick<CounterRow, 'tenant' | 'tier' | 'modality'>) => `${r.tenant}\u0000${r.tier}\u0000${r.modality}`;
const priced = (tier: UsageTier): StorageTier => (tier === 'RESTORED' ? 'STANDARD' : tier);
const zero = (): CostLines => ({ storage: 0, overhead: 0, earlyDeletion: 0, requests: 0, retrieval: 0, total: 0 });

function sumBy(rows: readonly CounterRow[], key: (r: CounterRow) => string): Map<string, CounterRow> {
  const sums = new Map<string, CounterRow>();
  for (const row of rows) {
    const k = key(row);
    const sum = sums.get(k);
    if (!sum) sums.set(k, { ...row });
    else for (const name of COUNTERS) sum[name] += row[name];
  }
  return sums;
}

/**
 * The report. `balances`: what is held now (any shards); `months`: the month rows from `from`
 * to `currentMonth`. Months after the current one are not reported.
 */
export function opexReport(query: OpexQuery, balances: readonly CounterRow[], months: readonly CounterRow[], currentMonth: string, prices: PriceTable): OpexReport {
  const held = sumBy(balances, keyOf);
  const changes = sumBy(months, (r) => `${r.month}\u0001${keyOf(r)}`);
  const keys = new Map<string, CounterRow>([...held, ...[...changes.values()].map((r) => [keyOf(r), r] as const)]);
  // Opening of `from`: held now minus every change from `from` on.
  const opening = new Map<string, { objects: number; bytes: number; billable: number }>();
  for (const k of keys.keys()) {
    const now = held.get(k);
    const open = { objects: now?.objects ?? 0, bytes: now?.bytes ?? 0, billable: now?.billable ?? 0 };
    for (const month of monthsBetween(query.from, currentMonth)) {
      const change = changes.get(`${month}\u0001${k}`);
      if (change) for (const name of ['objects', 'bytes', 'billable'] as const) open[name] -= change[name];
    }
    opening.set(k, open);
  }
  const rows = new Map<string, OpexRow>();
  const totals = zero();
  for (const month of monthsBetween(query.from, query.to < currentMonth ? query.to : currentMonth)) {
    const hours = hoursInMonth(month);
    const entries = [...keys.entries()].map(([k, r]) => {
      const open = opening.get(k)!;
      const change = changes.get(`${month}\u0001${k}`);
      const holding: TierHolding = {
        tier: priced(r.tier),
        gbMonths: (open.billable * hours + (change?.byteHours ?? 0)) / BYTES_PER_GB / hours,
        objectMonths: r.tier === 'RESTORED' ? 0 : (open.objects * hours + (change?.objectHours ?? 0)) / hours,
      };
      const close = { objects: open.objects + (change?.objects ?? 0), bytes: open.bytes + (change?.bytes ?? 0), billable: open.billable + (change?.billable ?? 0) };
      opening.set(k, close);
      return { r, change, holding, close };
    });
    const charges = storageCharges(prices, entries.map((e) => e.holding));
    entries.forEach(({ r, change, holding, close }, i) => {
      const tier = priced(r.tier);
      const c = change;
      const lines = zero();
      lines.storage = charges[i]!.storage;
      lines.overhead = charges[i]!.overhead;
      if (c) {
        // The rest of the minimum duration, billed in the month the bytes left, at the class's rate.
        lines.earlyDeletion = storagePrice(prices, tier, c.earlyByteHours / BYTES_PER_GB / hours);
        lines.requests = putCharge(prices, tier, c.puts) + (c.transitionsIn ? transitionCharge(prices, tier, c.transitionsIn) : 0);
        lines.retrieval = c.retrievalBytes || c.retrievalRequests ? retrievalCharge(prices, tier, 'standard', c.retrievalBytes, c.retrievalRequests) : 0;
      }
      lines.total = lines.storage + lines.overhead + lines.earlyDeletion + lines.requests + lines.retrieval;
      const group: OpexRow = { month, objects: 0, bytes: 0, gbMonths: 0, cost: zero() };
      for (const d of query.groupBy) group[d] = r[d] as never;
      const id = [month, ...query.groupBy.map((d) => r[d])].join('\u0000');
      const row = rows.get(id) ?? group;
      row.objects += close.objects;
      row.bytes += close.bytes;
      row.gbMonths += holding.gbMonths;
      for (const name of Object.keys(lines) as (keyof CostLines)[]) {
        row.cost[name] += lines[name];
        totals[name] += lines[name];
      }
      rows.set(id, row);
    });
  }
  return {
    from: query.from,
    to: query.to,
    groupBy: query.groupBy,
    currency: prices.currency,
    prices: { region: prices.region, asOf: prices.asOf },
    currentMonth,
    rows: [...rows.values()].filter((r) => r.objects !== 0 || r.cost.total !== 0 || r.gbMonths !== 0),
    totals,
  };
}
