/**
 * The scheduled fixity sweep (statemachines/fixity-sweep.asl.json, docs/dr.md): each daily run
 * re-hashes, per tenant, the studies after the position the previous run saved, until it has
 * examined INSTANCES_PER_RUN instances or reached the tenant's last study (a cycle ends, the next
 * starts from the first). Each study's result is kept on it as the on-demand audit keeps it
 * (fixity-audits.ts, verify-series.ts); damage is reported (the study's record, the run's
 * output, the Strata/Fixity metrics and their alarm), never repaired.
 */
import { addCounts, advancePosition, examined, firstPosition, noCounts, type FixityCounts } from '#core/fixity/sweep.ts';
import type { SeriesFixity } from '#core/fixity/series-fixity.ts';
import { FIXITY_METRIC, FIXITY_METRICS_NAMESPACE } from '#core/fixity/sweep-metrics.ts';
import { clock } from '#adapters/clock.ts';
import { getSweepPosition, saveSweepPosition } from '#adapters/fixity/sweep-cursor.ts';
import { publishMetrics } from '#adapters/metrics.ts';
import { listSeriesUids } from '#adapters/study-store.ts';
import { studyPage } from '#adapters/study-counts.ts';
import { recordFixityResult } from './fixity-audits.ts';
import { TransientStorageError, verifySeries } from './verify-series.ts';

/**
 * Instances one daily run examines per tenant: a full cycle takes ceil(instances / this) days,
 * 29 days for 10 M instances (docs/dr.md has the arithmetic, the run time and the read costs).
 */
export const INSTANCES_PER_RUN = 350_000;
/** Studies one step reads (a step is one Lambda invocation; each study's instances are all re-hashed). */
const STUDIES_PER_STEP = 10;
/** A step stops before the next study when less than this is left of its invocation. */
const MARGIN_MS = 5 * 60_000;
/** Damaged studies listed in a run's output (as references); the counts are complete. */
const LISTED = 100;

export interface SweepRun {
  counts: FixityCounts;
  damagedStudies: string[];
  cycle: number;
  /** The tenant's cycle ended during this run. */
  cycleCompleted: boolean;
  /** Another sweep of the tenant saved its position first: this one stopped. */
  concurrent: boolean;
  done: boolean;
}

export interface FixitySweepStep {
  tenant: string;
  run?: SweepRun;
}

export async function fixitySweepStep(step: FixitySweepStep, remainingMs: () => number = () => Infinity, instancesPerRun = INSTANCES_PER_RUN): Promise<FixitySweepStep> {
  const run: SweepRun = step.run ?? { counts: noCounts(), damagedStudies: [], cycle: 0, cycleCompleted: false, concurrent: false, done: false };
  const now = clock.now();
  const saved = await getSweepPosition(step.tenant);
  let position = saved ?? firstPosition(now);
  const page = await studyPage(step.tenant, position.cursor, STUDIES_PER_STEP);
  let counts = noCounts();
  let next: string | undefined = position.cursor;
  let stoppedEarly = false;
  for (const [index, { study, cursor }] of page.studies.entries()) {
    if (index > 0 && (remainingMs() < MARGIN_MS || examined(run.counts) + examined(counts) >= instancesPerRun)) {
      stoppedEarly = true;
      break;
    }
    const result = await verifyStudy(step.tenant, study);
    counts = addCounts(counts, result);
    if (result.mismatched + result.missing > 0 && run.damagedStudies.length < LISTED) run.damagedStudies.push(study);
    next = cursor;
  }
  const cycle = position.cycle;
  position = advancePosition(position, counts, stoppedEarly || page.more ? next : undefined, clock.now());
  if (!(await saveSweepPosition(step.tenant, position, saved?.revision))) return { tenant: step.tenant, run: { ...run, concurrent: true, done: true } };
  const total = addCounts(run.counts, counts);
  const cycleCompleted = position.cycle !== cycle;
  return {
    tenant: step.tenant,
    run: { ...run, counts: total, cycle, cycleCompleted, done: cycleCompleted || examined(total) >= instancesPerRun },
  };
}

/** One study, series by series, as the on-demand audit verifies it; its result is kept on the study. */
async function verifyStudy(tenant: string, study: string): Promise<FixityCounts> {
  const results: SeriesFixity[] = [];
  for (const series of await listSeriesUids(tenant, study)) {
    try {
      results.push(await verifySeries(tenant, study, series));
    } catch (error) {
      if (!(error instanceof TransientStorageError)) throw error;
      // As the on-demand workflow's Catch: the series is reported unverifiable, the sweep goes on.
      results.push({ series, status: 'UNVERIFIABLE', error: error.code, verified: 0, mismatched: [], missing: [], cold: 0 });
    }
  }
  const summary = await recordFixityResult(tenant, study, results);
  return {
    studies: 1,
    verified: summary.verified,
    mismatched: summary.mismatched.length,
    missing: summary.missing.length,
    cold: summary.cold,
    unverifiable: summary.unverifiableSeries.length,
  };
}

/** A tenant's result as the workflow keeps it: its run, or the error its retries ended on. */
export type SweepResult = FixitySweepStep | { tenant: string; failed: string };

/** The run's end: the sums over tenants published as Strata/Fixity metrics (the FixityDamage alarm watches them). */
export function finishFixitySweep(run: { reports: SweepResult[] }) {
  const runs = run.reports.flatMap((report) => ('run' in report && report.run ? [report.run] : []));
  const total = runs.reduce((sum, r) => addCounts(sum, r.counts), noCounts());
  const metrics = [
    { name: FIXITY_METRIC.damaged, value: total.mismatched + total.missing, unit: 'Count' as const },
    { name: FIXITY_METRIC.verified, value: total.verified, unit: 'Count' as const },
    { name: FIXITY_METRIC.cold, value: total.cold, unit: 'Count' as const },
    { name: FIXITY_METRIC.unverifiable, value: total.unverifiable, unit: 'Count' as const },
    { name: FIXITY_METRIC.failedTenants, value: run.reports.filter((report) => 'failed' in report).length, unit: 'Count' as const },
  ];
  publishMetrics(FIXITY_METRICS_NAMESPACE, metrics);
  return { reports: run.reports, metrics: Object.fromEntries(metrics.map((m) => [m.name, m.value])) };
}
