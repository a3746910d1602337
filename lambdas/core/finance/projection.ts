/**
 * Projection: the monthly storage bill for the next 1–10 years of the archive held now plus a
 * monthly ingest, under a lifecycle policy — and two policies side by side. Each cohort (the
 * bytes of one tenant and modality ingested in one month) follows its rule's schedule
 * (core/lifecycle): each month bills the days it spends in each tier, the transitions it makes,
 * and the 40 KB overhead of archived objects; objects under 128 KB stay on Standard as the
 * compiled rules keep them. Standard is banded on each month's total. Pure.
 *
 * Simplifications (docs/finance.md): a cohort is placed by its tenant and modality only (rules
 * on patient age, study age or pins need per-study facts the counters do not keep, so those
 * rules do not match and the next does); months are 30.4375 days; nothing is deleted; reads,
 * restores and the serverless costs are not projected.
 */
import { classify, tierAt } from '#core/lifecycle/evaluate.ts';
import { parseSchedule, type LifecyclePolicy, type ScheduleStep } from '#core/lifecycle/policy.ts';
import { isStorageTier, STORAGE_TIERS, type PriceTable, type StorageTier } from './price-table.ts';
import { putCharge, storageCharges, transitionCharge, type TierHolding } from './s3-cost.ts';
import { BYTES_PER_GB } from './units.ts';

export const DAYS_PER_MONTH = 30.4375;
export const MAX_YEARS = 10;

/** Bytes of one tenant and modality ingested together. */
export interface Cohort {
  tenant: string;
  modality: string;
  bytes: number;
  objects: number;
  /** Of which objects of at most 128 KB (they stay on Standard). */
  smallBytes: number;
  smallObjects: number;
}

export interface ProjectionInput {
  /** When the projection starts (ISO): month 1 begins here. */
  start: string;
  years: number;
  /** The archive now: each cohort with its age in days at `start`. */
  archive: (Cohort & { ageDays: number })[];
  /** Ingested each month from `start` on (spread evenly: each month's cohort enters at mid-month). */
  monthlyIngest: Cohort[];
}

export interface ProjectedMonth {
  /** 1 for the first month after `start`. */
  month: number;
  /** Dollars per tier (storage with overhead, transitions into it, PUTs of new objects on Standard). */
  byTier: Partial<Record<StorageTier, number>>;
  bytesByTier: Partial<Record<StorageTier, number>>;
  total: number;
}

export interface ProjectedYear {
  year: number;
  /** The bill of the year's last month, per tier. */
  monthlyAtYearEnd: Partial<Record<StorageTier, number>>;
  monthlyTotalAtYearEnd: number;
  yearTotal: number;
  cumulative: number;
}

export interface Projection {
  policyVersion: number;
  months: ProjectedMonth[];
  years: ProjectedYear[];
  total: number;
}

const DAY_MS = 86_400_000;

/** The schedule a cohort follows: its first matching rule's (by tenant and modality). */
function scheduleOf(policy: LifecyclePolicy, cohort: Cohort, at: Date, cache: Map<string, ScheduleStep[]>): ScheduleStep[] {
  const key = `${cohort.tenant}\u0000${cohort.modality}`;
  let schedule = cache.get(key);
  if (!schedule) {
    const rule = classify(policy, { tenant: cohort.tenant, modality: cohort.modality, sopClass: '', ingestedAt: at.toISOString() }, at);
    schedule = parseSchedule(rule.schedule).filter((step) => isStorageTier(step.tier));
    cache.set(key, schedule);
  }
  return schedule;
}

/** Days a cohort aged [from, to) spends in each step of its schedule, and the steps it enters. */
function daysPerStep(schedule: readonly ScheduleStep[], from: number, to: number): { tier: StorageTier; days: number; entered: boolean }[] {
  return schedule.map((step, i) => {
    const end = schedule[i + 1]?.days ?? Infinity;
    const days = Math.max(0, Math.min(to, end) - Math.max(from, step.days));
    return { tier: step.tier as StorageTier, days, entered: i > 0 && step.days >= from && step.days < to };
  });
}

export function project(policy: LifecyclePolicy, input: ProjectionInput, prices: PriceTable): Projection {
  const years = Math.min(MAX_YEARS, Math.max(1, Math.floor(input.years)));
  const start = new Date(input.start);
  const schedules = new Map<string, ScheduleStep[]>();
  const months: ProjectedMonth[] = [];
  for (let m = 1; m <= years * 12; m++) {
    const [monthStart, monthEnd] = [(m - 1) * DAYS_PER_MONTH, m * DAYS_PER_MONTH];
    const held = new Map<StorageTier, TierHolding>(STORAGE_TIERS.map((tier) => [tier, { tier, gbMonths: 0, objectMonths: 0 }]));
    const bytesByTier: Partial<Record<StorageTier, number>> = {};
    const transitions: Partial<Record<StorageTier, number>> = {};
    let puts = 0;
    const hold = (tier: StorageTier, bytes: number, objects: number, days: number) => {
      const h = held.get(tier)!;
      h.gbMonths += (bytes / BYTES_PER_GB) * (days / DAYS_PER_MONTH);
      h.objectMonths += objects * (days / DAYS_PER_MONTH);
    };
    const atEnd = (tier: StorageTier, bytes: number) => {
      if (bytes > 0) bytesByTier[tier] = (bytesByTier[tier] ?? 0) + bytes;
    };
    const age = (cohort: Cohort, enteredAt: number) => {
      const [from, to] = [Math.max(0, monthStart - enteredAt), monthEnd - enteredAt];
      if (to <= 0) return;
      const schedule = scheduleOf(policy, cohort, new Date(start.getTime() + enteredAt * DAY_MS), schedules);
      const large = { bytes: cohort.bytes - cohort.smallBytes, objects: cohort.objects - cohort.smallObjects };
      hold('STANDARD', cohort.smallBytes, cohort.smallObjects, to - from);
      atEnd('STANDARD', cohort.smallBytes);
      for (const step of daysPerStep(schedule, from, to)) {
        if (step.days > 0) hold(step.tier, large.bytes, large.objects, step.days);
        if (step.entered) transitions[step.tier] = (transitions[step.tier] ?? 0) + large.objects;
      }
      atEnd(tierAt(schedule, to).tier as StorageTier, large.bytes);
    };
    for (const cohort of input.archive) age(cohort, -cohort.ageDays);
    for (let k = 1; k <= m; k++) {
      for (const cohort of input.monthlyIngest) {
        const enteredAt = (k - 1) * DAYS_PER_MONTH + DAYS_PER_MONTH / 2;
        if (k === m) puts += cohort.objects;
        age(cohort, enteredAt);
      }
    }
    const holdings = [...held.values()].filter((h) => h.gbMonths > 0 || h.objectMonths > 0);
    const byTier: Partial<Record<StorageTier, number>> = {};
    storageCharges(prices, holdings).forEach((c) => (byTier[c.tier] = c.storage + c.overhead));
    for (const [tier, objects] of Object.entries(transitions) as [StorageTier, number][]) byTier[tier] = (byTier[tier] ?? 0) + transitionCharge(prices, tier, objects);
    if (puts) byTier.STANDARD = (byTier.STANDARD ?? 0) + putCharge(prices, 'STANDARD', puts);
    months.push({ month: m, byTier, bytesByTier, total: Object.values(byTier).reduce((a, b) => a + b, 0) });
  }
  let cumulative = 0;
  const yearly: ProjectedYear[] = [];
  for (let y = 1; y <= years; y++) {
    const slice = months.slice((y - 1) * 12, y * 12);
    const yearTotal = slice.reduce((sum, month) => sum + month.total, 0);
    cumulative += yearTotal;
    const last = slice[slice.length - 1]!;
    yearly.push({ year: y, monthlyAtYearEnd: last.byTier, monthlyTotalAtYearEnd: last.total, yearTotal, cumulative });
  }
  return { policyVersion: policy.version, months, years: yearly, total: cumulative };
}

export interface PolicyComparison {
  current: Projection;
  proposed: Projection;
  /** proposed − current, per year (negative: the proposed policy saves) and in all. */
  difference: { year: number; yearTotal: number; cumulative: number }[];
  totalDifference: number;
}

export function comparePolicies(current: LifecyclePolicy, proposed: LifecyclePolicy, input: ProjectionInput, prices: PriceTable): PolicyComparison {
  const [a, b] = [project(current, input, prices), project(proposed, input, prices)];
  return {
    current: a,
    proposed: b,
    difference: a.years.map((year, i) => ({ year: year.year, yearTotal: b.years[i]!.yearTotal - year.yearTotal, cumulative: b.years[i]!.cumulative - year.cumulative })),
    totalDifference: b.total - a.total,
  };
}

/** Every object on Standard for ever: the baseline a lifecycle policy is measured against. */
export const ALL_STANDARD: LifecyclePolicy = { version: 0, description: 'everything on S3 Standard', rules: [{ id: 'standard', match: {}, schedule: ['STANDARD 0d'] }] };

/**
 * AWS HealthImaging's storage bill for `bytes` held `months` months: Frequent Access for the
 * first 30 days (its minimum and the time to the first tier move), Archive Instant Access after
 * (if never read again). Imports are free; API requests are not counted here.
 */
export function healthImagingStorageCost(bytes: number, months: number, prices: PriceTable): number {
  const gb = bytes / BYTES_PER_GB;
  const hi = prices.healthImaging.storageGbMonth;
  const frequentMonths = Math.min(months, prices.healthImaging.minDays / DAYS_PER_MONTH);
  return gb * (frequentMonths * hi.frequentAccess + (months - frequentMonths) * hi.archiveInstantAccess);
}
