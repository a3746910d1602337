/**
 * Policy evaluation: which rule places an instance, and which tier its schedule gives at a
 * moment. Pure (the caller passes the time).
 *
 * First match, not most protective (docs/lifecycle.md): rules are tried in order and the first
 * whose conditions all hold decides. An administrator reads the file top-down like a firewall
 * rule set, every decision names the one rule that made it, and "most protective" has no
 * order to rely on: one schedule can be warmer early and colder late than another.
 */
import { durationDays, parseSchedule, type AgeRange, type LifecyclePolicy, type Pin, type PolicyRule, type ScheduleStep, type Tier } from './policy.ts';

const DAY_MS = 86_400_000;

/** What a rule can match on, for one instance (lifecycle/facts.ts builds it from DICOM). */
export interface InstanceFacts {
  tenant: string;
  facility?: string | undefined;
  modality?: string | undefined;
  sopClass: string;
  bodyPart?: string | undefined;
  /** The patient's age on the study date, in days. */
  patientAgeDays?: number | undefined;
  /** StudyDate as an ISO date (YYYY-MM-DD). */
  studyDate?: string | undefined;
  /** When the bytes were stored; schedules count from here, as S3 counts from object creation. */
  ingestedAt: string;
  /** The last retrieval; absent means never since ingest. */
  lastAccessAt?: string | undefined;
  pins?: readonly Pin[] | undefined;
}

export interface Decision {
  policyVersion: number;
  /** The deciding rule's id, which is the object's policy class. */
  policyClass: string;
  tier: Tier;
  /** The next step of the schedule, if any, and when it is due. */
  next?: { tier: Tier; at: string };
}

const holdsAny = (values: readonly string[] | undefined, value: string | undefined) =>
  values === undefined || (value !== undefined && values.some((v) => v.toUpperCase() === value.toUpperCase()));

function inRange(range: AgeRange | undefined, days: number | undefined): boolean {
  if (!range) return true;
  if (days === undefined) return false;
  return (range.from === undefined || days >= durationDays(range.from)) && (range.under === undefined || days < durationDays(range.under));
}

const daysBetween = (from: string, to: Date) => Math.floor((to.getTime() - Date.parse(from)) / DAY_MS);

/** Whether every condition of `rule` holds for `facts` at `at`. */
export function ruleMatches(rule: PolicyRule, facts: InstanceFacts, at: Date): boolean {
  const m = rule.match;
  if (!holdsAny(m.tenants, facts.tenant)) return false;
  if (!holdsAny(m.facilities, facts.facility)) return false;
  if (!holdsAny(m.modalities, facts.modality)) return false;
  if (!holdsAny(m.sopClasses, facts.sopClass)) return false;
  if (!holdsAny(m.bodyParts, facts.bodyPart)) return false;
  if (!inRange(m.patientAge, facts.patientAgeDays)) return false;
  if (m.studyAge && !inRange(m.studyAge, facts.studyDate ? daysBetween(facts.studyDate, at) : undefined)) return false;
  if (m.lastAccess && daysBetween(facts.lastAccessAt ?? facts.ingestedAt, at) < durationDays(m.lastAccess.olderThan)) return false;
  if (m.pins && !m.pins.some((pin) => facts.pins?.includes(pin))) return false;
  return true;
}

/** The first rule that matches. A loaded policy always has one: its last rule matches everything. */
export function classify(policy: LifecyclePolicy, facts: InstanceFacts, at: Date): PolicyRule {
  const rule = policy.rules.find((r) => ruleMatches(r, facts, at));
  if (!rule) throw new RangeError(`policy version ${policy.version} has no rule for this instance (its last rule must match everything)`);
  return rule;
}

/** The schedule's tier `ageDays` after ingest (the last step already due). */
export function tierAt(schedule: readonly ScheduleStep[], ageDays: number): { tier: Tier; next?: ScheduleStep } {
  let current = 0;
  while (current + 1 < schedule.length && schedule[current + 1]!.days <= ageDays) current += 1;
  const next = schedule[current + 1];
  return { tier: schedule[current]!.tier, ...(next ? { next } : {}) };
}

/** Schedules parsed once per rule object: a policy is evaluated for millions of instances. */
const parsedSchedules = new WeakMap<PolicyRule, ScheduleStep[]>();
function scheduleOf(rule: PolicyRule): ScheduleStep[] {
  let steps = parsedSchedules.get(rule);
  if (!steps) parsedSchedules.set(rule, (steps = parseSchedule(rule.schedule)));
  return steps;
}

/** Where `facts`'s instance belongs at `at`, and which policy version says so. */
export function decide(policy: LifecyclePolicy, facts: InstanceFacts, at: Date): Decision {
  const rule = classify(policy, facts, at);
  const { tier, next } = tierAt(scheduleOf(rule), daysBetween(facts.ingestedAt, at));
  return {
    policyVersion: policy.version,
    policyClass: rule.id,
    tier,
    ...(next ? { next: { tier: next.tier, at: new Date(Date.parse(facts.ingestedAt) + next.days * DAY_MS).toISOString() } } : {}),
  };
}
