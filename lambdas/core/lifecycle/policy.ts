/**
 * The lifecycle policy model (policies/lifecycle.yaml, schema policies/lifecycle.schema.json)
 * and the checks JSON Schema cannot express: S3's transition rules (waterfall order, 30 days
 * before an IA class, each class's minimum before the next) and rule ordering (one catch-all,
 * last). Pure: the loader (infra/lifecycle/load-policy.ts) parses and schema-checks the file.
 */
import type { RetentionPolicy } from '#core/disposition/retention-policy.ts';

export type Tier = 'STANDARD' | 'STANDARD_IA' | 'INTELLIGENT_TIERING' | 'ONEZONE_IA' | 'GLACIER_IR' | 'GLACIER' | 'DEEP_ARCHIVE';

/** S3's lifecycle waterfall, warmest first: a transition only ever moves right. */
export const TIER_ORDER: readonly Tier[] = ['STANDARD', 'STANDARD_IA', 'INTELLIGENT_TIERING', 'ONEZONE_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'];

/** Minimum storage duration per class (S3 pricing): leaving earlier is billed as if kept. */
export const MIN_DAYS: Readonly<Record<Tier, number>> = {
  STANDARD: 0,
  STANDARD_IA: 30,
  INTELLIGENT_TIERING: 0,
  ONEZONE_IA: 30,
  GLACIER_IR: 90,
  GLACIER: 90,
  DEEP_ARCHIVE: 180,
};

/** S3 refuses a lifecycle transition to an IA class before an object is 30 days old. */
export const MIN_DAYS_BEFORE_IA = 30;

export type Pin = 'research' | 'teaching';

export interface AgeRange {
  from?: string;
  under?: string;
}

export interface RuleMatch {
  tenants?: string[];
  facilities?: string[];
  modalities?: string[];
  sopClasses?: string[];
  bodyParts?: string[];
  patientAge?: AgeRange;
  studyAge?: AgeRange;
  lastAccess?: { olderThan: string };
  pins?: Pin[];
}

export interface PolicyRule {
  id: string;
  description?: string;
  match: RuleMatch;
  /** `'<TIER> <age>'`, e.g. `'GLACIER_IR 90d'`; the first is `'STANDARD 0d'`. */
  schedule: string[];
  /** Copy back: an archived object of this class read from its restored copy is copied to this warmer class (docs/lifecycle.md). */
  rewarm?: 'STANDARD' | 'STANDARD_IA' | 'GLACIER_IR';
}

export interface LifecyclePolicy {
  version: number;
  description?: string;
  rules: PolicyRule[];
  /** Minimum retention before disposition (core/disposition/retention.ts); absent: nothing is ever eligible. */
  retention?: RetentionPolicy;
  /** How archived instances are restored (default: Standard, 7 days). */
  retrieval?: { tier?: 'Expedited' | 'Standard' | 'Bulk'; days?: number };
  /** Prior prefetch (absent: none). */
  priors?: PriorsPolicy;
}

export interface PriorsPolicy {
  /** How far before the new study's StudyDate a prior may be (`3y`). */
  within: string;
  sameModality?: boolean;
  sameBodyPart?: boolean;
  maxStudies?: number;
  tier?: 'Expedited' | 'Standard' | 'Bulk';
}

export interface ScheduleStep {
  tier: Tier;
  days: number;
}

const DAYS_PER_UNIT: Record<string, number> = { d: 1, w: 7, y: 365 };

/** A policy uses a handful of durations, each read millions of times when evaluated in bulk. */
const parsedDurations = new Map<string, number>();

/** `30d`, `26w`, `3y` (365 days) → days. */
export function durationDays(spec: string): number {
  const known = parsedDurations.get(spec);
  if (known !== undefined) return known;
  const match = /^(\d+)([dwy])$/.exec(spec);
  if (!match) throw new RangeError(`not a duration: "${spec}" (expected e.g. 30d, 26w, 3y)`);
  const days = Number(match[1]) * DAYS_PER_UNIT[match[2]!]!;
  if (parsedDurations.size < 1_000) parsedDurations.set(spec, days);
  return days;
}

export function parseSchedule(schedule: readonly string[]): ScheduleStep[] {
  return schedule.map((step) => {
    const [tier, age] = step.split(' ') as [string, string];
    if (!TIER_ORDER.includes(tier as Tier)) throw new RangeError(`not a tier: "${tier}"`);
    return { tier: tier as Tier, days: durationDays(age) };
  });
}

/** A policy problem, located by the JSON path of what is wrong (the loader turns it into a line). */
export interface PolicyProblem {
  path: (string | number)[];
  message: string;
}

const isCatchAll = (match: RuleMatch) => Object.keys(match).length === 0;

/** Everything S3 or the first-match order would make of a schema-valid policy that is wrong. */
export function policyProblems(policy: LifecyclePolicy): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const seen = new Map<string, number>();
  policy.rules.forEach((rule, index) => {
    const at = (...path: (string | number)[]) => ['rules', index, ...path];
    const earlier = seen.get(rule.id);
    if (earlier !== undefined) problems.push({ path: at('id'), message: `rule id "${rule.id}" is also rule ${earlier + 1}'s: ids are policy classes and must be unique` });
    seen.set(rule.id, index);
    const last = index === policy.rules.length - 1;
    if (isCatchAll(rule.match) && !last) {
      problems.push({ path: at('match'), message: `rule "${rule.id}" matches everything, so the ${policy.rules.length - 1 - index} rule(s) after it can never apply (first match wins)` });
    }
    if (last && !isCatchAll(rule.match)) problems.push({ path: at('match'), message: `the last rule ("${rule.id}") must match everything (match: {}), so every instance has a policy class` });
    for (const range of ['patientAge', 'studyAge'] as const) {
      const { from, under } = rule.match[range] ?? {};
      if (from !== undefined && under !== undefined && durationDays(from) >= durationDays(under)) {
        problems.push({ path: at('match', range), message: `${range}: from (${from}) must be less than under (${under})` });
      }
    }
    problems.push(...scheduleProblems(rule.schedule).map(({ step, message }) => ({ path: at('schedule', step), message })));
  });
  return problems;
}

function scheduleProblems(schedule: readonly string[]): { step: number; message: string }[] {
  const steps = parseSchedule(schedule);
  const problems: { step: number; message: string }[] = [];
  if (steps[0]!.tier !== 'STANDARD' || steps[0]!.days !== 0) problems.push({ step: 0, message: 'a schedule starts with "STANDARD 0d" (objects are written to Standard)' });
  steps.forEach((step, i) => {
    if (i === 0) return;
    const previous = steps[i - 1]!;
    if (TIER_ORDER.indexOf(step.tier) <= TIER_ORDER.indexOf(previous.tier)) {
      problems.push({ step: i, message: `${step.tier} is not colder than ${previous.tier}: S3 lifecycle only moves objects to colder tiers` });
    }
    if ((step.tier === 'STANDARD_IA' || step.tier === 'ONEZONE_IA') && step.days < MIN_DAYS_BEFORE_IA) {
      problems.push({ step: i, message: `S3 moves objects to ${step.tier} no sooner than ${MIN_DAYS_BEFORE_IA} days after creation (${step.days}d given)` });
    }
    const gap = step.days - previous.days;
    if (gap < Math.max(1, MIN_DAYS[previous.tier])) {
      problems.push({ step: i, message: `${step.tier} at ${step.days}d leaves ${previous.tier} after ${gap} day(s); ${previous.tier} must be kept ${Math.max(1, MIN_DAYS[previous.tier])} day(s) first` });
    }
  });
  return problems;
}
