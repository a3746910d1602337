/**
 * When a study's last access can next make a `lastAccess` rule apply (docs/lifecycle.md, "Last
 * access on a schedule"). S3's lifecycle cannot see reads, so each study has a **check item** keyed
 * by the day it is due: `T#<t>#LIFECYCLE-DUE` / `<YYYY-MM-DD>#<study>`. The scheduled run Queries
 * the items due up to today (no scan), re-evaluates those studies, and puts each study's next
 * check. Reads do not move the item (a read would cost a write): the item is only ever early —
 * a read makes the true day later — so the run finds the rule does not hold yet and puts the
 * check due from the read. Pure: the caller passes the policy and the time.
 */
import { durationDays, type LifecyclePolicy } from './policy.ts';

const DAY_MS = 86_400_000;

export const duePartition = (tenant: string) => `T#${tenant}#LIFECYCLE-DUE`;

/** The check item of `study` due on `day` (YYYY-MM-DD). */
export const dueKey = (tenant: string, day: string, study: string) => ({ pk: duePartition(tenant), sk: `${day}#${study}` });

/** The upper bound of the sort keys due on or before `day` ('~' sorts after every UID character). */
export const dueThroughKey = (day: string) => `${day}#~`;

export const studyOfDueKey = (sk: string) => sk.slice(sk.indexOf('#') + 1);

/** The UTC day (YYYY-MM-DD) of `at`. */
export const dayOf = (at: Date) => at.toISOString().slice(0, 10);

/** The ages (days) at which the policy's last-access rules start to hold; empty when it has none. */
export function lastAccessThresholds(policy: LifecyclePolicy): number[] {
  const days = policy.rules.flatMap((rule) => (rule.match.lastAccess ? [durationDays(rule.match.lastAccess.olderThan)] : []));
  return [...new Set(days)].sort((a, b) => a - b);
}

/**
 * The first day after `now` on which a last-access threshold is crossed by the study — counted
 * from its last read, else from each instance's ingest (as `ruleMatches` counts) — or undefined
 * when none is left. The day is the one starting at or after the crossing, so a run on that day
 * (at any hour) finds the rule holding, and it is always after `now`'s day: a run never
 * re-schedules a study to a day it is working through.
 */
export function nextLastAccessCheck(policy: LifecyclePolicy, study: { lastAccessAt?: string | undefined; ingestedAts: readonly string[] }, now: Date): string | undefined {
  const thresholds = lastAccessThresholds(policy);
  const bases = study.lastAccessAt ? [study.lastAccessAt] : [...new Set(study.ingestedAts)];
  let first: number | undefined;
  for (const base of bases) {
    for (const days of thresholds) {
      const crossing = Date.parse(base) + days * DAY_MS;
      if (crossing > now.getTime() && (first === undefined || crossing < first)) first = crossing;
    }
  }
  return first === undefined ? undefined : dayOf(new Date(Math.ceil(first / DAY_MS) * DAY_MS));
}

/** The longest wait before a study whose check failed is checked again (days). */
export const MAX_RETRY_DELAY_DAYS = 30;

/**
 * The day a study whose check failed for the `attempts`-th time in a row is checked again: 1, 2,
 * 4, 8, 16 days after `day`, then every 30 days — bounded, and never dropped, so a study that
 * cannot be evaluated today (an object missing, a throttled S3) is neither retried within the
 * run that failed nor left out of the lifecycle for good.
 */
export function retryDay(day: string, attempts: number): string {
  const delay = Math.min(2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_DAYS);
  return dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + delay * DAY_MS));
}
