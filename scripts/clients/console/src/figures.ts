/**
 * The API's answers as figures: labels, one or more series, and the totals the API stated. Each
 * figure feeds both its chart and the table beside it, so the two always show the same numbers.
 * Pure (no DOM), so the shaping is unit-tested (test/unit/clients/console-figures.test.ts).
 */
import type { CostLines, DispositionRun, OpexReport, OpexRow, ProjectionAnswer } from './shapes.ts';

export interface Series {
  key: string;
  label: string;
  values: number[];
}

export interface Figure {
  id: string;
  unit: 'usd' | 'bytes';
  /** The column of labels' heading in the table. */
  dimension: string;
  labels: string[];
  series: Series[];
  /** Per label, the total the API gave (not re-added here); absent when the figure has none. */
  totals?: number[];
}

/** Tiers coldest last, as AWS lists them; RESTORED (restored copies, billed at Standard) at the end. */
export const TIER_ORDER = ['STANDARD', 'INTELLIGENT_TIERING', 'STANDARD_IA', 'ONEZONE_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE', 'RESTORED'];
const COST_LINES: { key: Exclude<keyof CostLines, 'total'>; label: string }[] = [
  { key: 'storage', label: 'Storage' },
  { key: 'overhead', label: 'Archive overhead' },
  { key: 'earlyDeletion', label: 'Early deletion' },
  { key: 'requests', label: 'Requests' },
  { key: 'retrieval', label: 'Retrieval' },
];

const tierRank = (tier: string) => {
  const rank = TIER_ORDER.indexOf(tier);
  return rank < 0 ? TIER_ORDER.length : rank;
};
/** A row that holds nothing and costs nothing says nothing. */
const matters = (row: OpexRow) => row.bytes !== 0 || row.cost.total !== 0;

/** This month per tier, stacked by cost line (report grouped by tier). */
export function tiersThisMonth(report: OpexReport): Figure {
  const rows = report.rows.filter((r) => r.month === report.currentMonth && matters(r)).sort((a, b) => tierRank(a.tier ?? '') - tierRank(b.tier ?? ''));
  return {
    id: 'tiers',
    unit: 'usd',
    dimension: 'Tier',
    labels: rows.map((r) => r.tier ?? '?'),
    series: COST_LINES.map(({ key, label }) => ({ key, label, values: rows.map((r) => r.cost[key]) })),
    totals: rows.map((r) => r.cost.total),
  };
}

/** Each month of the report, stacked by tier (report grouped by tier). */
export function trend(report: OpexReport, months: readonly string[]): Figure {
  const tiers = [...new Set(report.rows.filter(matters).map((r) => r.tier ?? '?'))].sort((a, b) => tierRank(a) - tierRank(b));
  const cell = new Map(report.rows.map((r) => [`${r.month} ${r.tier}`, r.cost.total]));
  return {
    id: 'trend',
    unit: 'usd',
    dimension: 'Month',
    labels: [...months],
    series: tiers.map((tier) => ({ key: tier, label: tier, values: months.map((m) => cell.get(`${m} ${tier}`) ?? 0) })),
  };
}

/** The `limit` costliest groups of this month (report grouped by tenant or by modality). */
export function topGroups(report: OpexReport, dimension: 'tenant' | 'modality', limit = 10): Figure {
  const rows = report.rows.filter((r) => r.month === report.currentMonth && matters(r)).sort((a, b) => b.cost.total - a.cost.total).slice(0, limit);
  return {
    id: dimension === 'tenant' ? 'tenants' : 'modalities',
    unit: 'usd',
    dimension: dimension === 'tenant' ? 'Tenant' : 'Modality',
    labels: rows.map((r) => String(r[dimension] ?? '?')),
    series: [{ key: 'total', label: 'OpEx this month', values: rows.map((r) => r.cost.total) }],
  };
}

/** Yearly cost under both policies, and proposed − current (the API's difference). */
export function projection(answer: ProjectionAnswer): Figure {
  const { current, proposed, difference } = answer.comparison;
  return {
    id: 'projection',
    unit: 'usd',
    dimension: 'Year',
    labels: current.years.map((y) => `Year ${y.year}`),
    series: [
      { key: 'current', label: 'Current policy', values: current.years.map((y) => y.yearTotal) },
      { key: 'proposed', label: 'Proposed', values: proposed.years.map((y) => y.yearTotal) },
      { key: 'difference', label: 'Proposed − current', values: difference.map((d) => d.yearTotal) },
    ],
  };
}

/** The newest run that has a report (a dry run evaluated), else undefined. */
export const latestDryRun = (runs: readonly DispositionRun[]): DispositionRun | undefined => runs.find((run) => run.summary !== undefined);

/** Bytes the latest dry run would delete, per tier. */
export function dispositionTiers(run: DispositionRun): Figure {
  const tiers = Object.keys(run.summary?.bytesByTier ?? {}).sort((a, b) => tierRank(a) - tierRank(b));
  return {
    id: 'disposition',
    unit: 'bytes',
    dimension: 'Tier',
    labels: tiers,
    series: [{ key: 'bytes', label: 'Eligible bytes', values: tiers.map((t) => run.summary!.bytesByTier[t]!) }],
  };
}
