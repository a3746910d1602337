/**
 * The model's month against the bill (docs/finance.md, "Reconciling with Cost Explorer"): what
 * Cost Explorer billed for the archive bucket, grouped by usage type, set beside the opex
 * report's figures for the same month, per storage class and per kind of charge. Pure: both
 * sides come in.
 *
 * Usage types are AWS's billing codes (the Price List's, core/finance/price-list.ts), with a
 * Region prefix outside us-east-1. Each is sorted into what the model prices: storage per class
 * (the per-object archive overhead, billed as `…-Staging` and `…-SmObjects`, with its class, as
 * the model's `overhead` line), requests (with lifecycle transitions), retrieval and early
 * deletion. What the model does not price (data transfer, inventory, replication, …) is listed.
 */
import type { StorageTier } from './price-table.ts';

/**
 * The cost allocation tag on each bucket (`<stack>/<bucket>`), for Cost Explorer's filter. S3
 * bills and tags per bucket — object tags are not cost allocation tags — so the bill is per
 * bucket; a tenant's share is the model's.
 */
export const COST_ALLOCATION_TAG = 'strata:bucket';
import type { CostLines, OpexRow } from './report.ts';

export interface BilledUsage {
  usageType: string;
  usd: number;
}

/** The model's charges other than storage. */
type ChargeLine = Exclude<keyof CostLines, 'total' | 'overhead' | 'storage'>;

const STORAGE: [RegExp, StorageTier][] = [
  [/^TimedStorage-ByteHrs$/, 'STANDARD'],
  [/^TimedStorage-INT-/, 'INTELLIGENT_TIERING'],
  [/^TimedStorage-SIA-/, 'STANDARD_IA'],
  [/^TimedStorage-ZIA-/, 'ONEZONE_IA'],
  [/^TimedStorage-GIR-/, 'GLACIER_IR'],
  [/^TimedStorage-Glacier/, 'GLACIER'],
  [/^TimedStorage-GDA-/, 'DEEP_ARCHIVE'],
];
const OTHER_LINES: [RegExp, ChargeLine][] = [
  // Restore requests, which the model prices as retrieval (s3-cost.ts, retrievalCharge): bulk and
  // expedited Glacier Flexible Retrieval (Tier5, Tier6), standard and bulk Deep Archive (GDA-Tier3,
  // GDA-Tier5). Tier3 also bills standard Glacier restores, but with the lifecycle transitions to
  // Glacier and Deep Archive, which dominate it: it stays a request line.
  [/^Requests-(Tier5|Tier6|GDA-Tier3|GDA-Tier5)$/, 'retrieval'],
  [/^Requests-/, 'requests'],
  [/Retrieval/, 'retrieval'],
  [/^EarlyDelete-/, 'earlyDeletion'],
];

const withoutRegion = (usageType: string) => usageType.replace(/^[A-Z]+[0-9]*-(?=[A-Z][a-z])/, '');

/** Which of the model's lines a usage type is billed on: a storage class, another line, or none. */
export function lineOfUsageType(usageType: string): { tier: StorageTier } | { line: ChargeLine } | undefined {
  const code = withoutRegion(usageType);
  const tier = STORAGE.find(([pattern]) => pattern.test(code))?.[1];
  if (tier) return { tier };
  const line = OTHER_LINES.find(([pattern]) => pattern.test(code))?.[1];
  return line ? { line } : undefined;
}

export interface Difference {
  modelled: number;
  billed: number;
  /** billed − modelled */
  difference: number;
  /** difference ÷ billed, or null when nothing was billed */
  relative: number | null;
}

export interface Reconciliation {
  month: string;
  /** Storage and overhead per class. */
  storage: Partial<Record<StorageTier, Difference>>;
  /** Requests, retrieval and early deletion, over all classes. */
  lines: Record<ChargeLine, Difference>;
  total: Difference;
  /** Billed usage types the model does not price, with their cost. */
  notModelled: BilledUsage[];
}

const difference = (modelled: number, billed: number): Difference => ({
  modelled: cents(modelled),
  billed: cents(billed),
  difference: cents(billed - modelled),
  relative: billed === 0 ? null : Number(((billed - modelled) / billed).toFixed(4)),
});
const cents = (usd: number) => Math.round(usd * 100) / 100;

/** `model`: the opex report's rows for `month`, grouped by tier (any further grouping is summed). */
export function reconcile(month: string, model: readonly OpexRow[], billed: readonly BilledUsage[]): Reconciliation {
  const rows = model.filter((r) => r.month === month);
  const modelledStorage = new Map<string, number>();
  const modelledLines: Record<ChargeLine, number> = { requests: 0, retrieval: 0, earlyDeletion: 0 };
  for (const row of rows) {
    // The restored copy of archived bytes is billed at Standard's rate, as Standard storage.
    const tier = row.tier === 'RESTORED' ? 'STANDARD' : (row.tier ?? 'STANDARD');
    modelledStorage.set(tier, (modelledStorage.get(tier) ?? 0) + row.cost.storage + row.cost.overhead);
    for (const line of Object.keys(modelledLines) as ChargeLine[]) modelledLines[line] += row.cost[line];
  }
  const billedStorage = new Map<string, number>();
  const billedLines: Record<ChargeLine, number> = { requests: 0, retrieval: 0, earlyDeletion: 0 };
  const notModelled: BilledUsage[] = [];
  for (const usage of billed) {
    const line = lineOfUsageType(usage.usageType);
    if (line && 'tier' in line) billedStorage.set(line.tier, (billedStorage.get(line.tier) ?? 0) + usage.usd);
    else if (line) billedLines[line.line] += usage.usd;
    else if (usage.usd !== 0) notModelled.push(usage);
  }
  const tiers = [...new Set([...modelledStorage.keys(), ...billedStorage.keys()])].sort() as StorageTier[];
  const storage = Object.fromEntries(tiers.map((tier) => [tier, difference(modelledStorage.get(tier) ?? 0, billedStorage.get(tier) ?? 0)]));
  const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
  return {
    month,
    storage,
    lines: {
      requests: difference(modelledLines.requests, billedLines.requests),
      retrieval: difference(modelledLines.retrieval, billedLines.retrieval),
      earlyDeletion: difference(modelledLines.earlyDeletion, billedLines.earlyDeletion),
    },
    total: difference(sum(modelledStorage.values()) + sum(Object.values(modelledLines)), sum(billedStorage.values()) + sum(Object.values(billedLines))),
    notModelled: notModelled.sort((a, b) => b.usd - a.usd),
  };
}
