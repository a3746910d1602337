/**
 * Whether a study may be disposed of at a moment: the first retention rule that matches gives
 * its period, and the safety nets below can only ever keep a study longer. Pure: the caller
 * passes the facts (from the index) and the time.
 *
 * Safety nets, which no rule can override:
 * - a study under legal hold, or pinned for research or teaching, is never eligible;
 * - a study without a reliable study date or patient birth date is never eligible (no period
 *   can be computed, and guessing would delete early);
 * - a mammogram is never eligible before 10 years after the study (MQSA);
 * - a study of a minor is never eligible before the patient's 21st birthday.
 */
import { isoDate } from '#core/lifecycle/facts.ts';
import {
  MAMMOGRAPHY_FLOOR,
  AGE_OF_MAJORITY,
  PEDIATRIC_PROTECTED_UNTIL_AGE,
  parsePeriod,
  type Period,
  type RetentionPolicy,
  type RetentionRule,
} from './retention-policy.ts';

export interface StudyRetentionFacts {
  tenant: string;
  /** InstitutionName (0008,0080). */
  facility?: string | undefined;
  /** ModalitiesInStudy. */
  modalities: readonly string[];
  /** StudyDate (0008,0020) as stored (DICOM DA, `YYYYMMDD`). */
  studyDate?: string | undefined;
  /** PatientBirthDate (0010,0030) as stored (DICOM DA). */
  birthDate?: string | undefined;
  /** Research or teaching pins on the study. */
  pins: readonly string[];
  /** Legal holds on the study (HoldsPort). */
  holdIds: readonly string[];
}

export type Category = 'adult' | 'minor' | 'mammography' | 'minor-mammography';
export type SafetyNet = 'legal-hold' | 'research-pin' | 'unreliable-dates' | 'mammography-floor' | 'pediatric-floor';

export type RetentionVerdict =
  | { outcome: 'eligible'; rule: string; jurisdiction?: string; category: Category; retainUntil: string }
  | { outcome: 'retained'; rule: string; jurisdiction?: string; category: Category; retainUntil: string }
  | { outcome: 'spared'; safetyNet: SafetyNet; reason: string; rule?: string; category?: Category; retainUntil?: string; holdIds?: string[] };

/** X-rays were discovered in November 1895: an earlier study date is a data error. */
const EARLIEST_STUDY = Date.UTC(1895, 10, 8);
/** Older patients than this at the study mean a wrong birth date. */
const OLDEST_PATIENT_YEARS = 130;

export function addPeriod(from: Date, period: Period): Date {
  return new Date(Date.UTC(from.getUTCFullYear() + period.years, from.getUTCMonth(), from.getUTCDate() + period.days));
}

const dateOf = (da: string | undefined): Date | undefined => {
  const iso = da === undefined ? undefined : isoDate(da);
  return iso === undefined ? undefined : new Date(`${iso}T00:00:00Z`);
};

/** Both dates, when both are present, real and plausible; otherwise why not. */
export function reliableDates(facts: Pick<StudyRetentionFacts, 'studyDate' | 'birthDate'>, now: Date): { study: Date; birth: Date } | { problem: string } {
  const study = dateOf(facts.studyDate);
  if (!study) return { problem: facts.studyDate ? 'the study date is not a valid date' : 'the study has no study date' };
  if (study.getTime() > now.getTime()) return { problem: 'the study date is in the future' };
  if (study.getTime() < EARLIEST_STUDY) return { problem: 'the study date is before 1895' };
  const birth = dateOf(facts.birthDate);
  if (!birth) return { problem: facts.birthDate ? 'the patient birth date is not a valid date' : 'the patient has no birth date' };
  if (birth.getTime() > study.getTime()) return { problem: 'the patient birth date is after the study date' };
  if (addPeriod(birth, { years: OLDEST_PATIENT_YEARS, days: 0 }).getTime() < study.getTime()) return { problem: `the patient would have been over ${OLDEST_PATIENT_YEARS} at the study` };
  return { study, birth };
}

const matchesAny = (values: readonly string[] | undefined, value: string | undefined) =>
  values === undefined || (value !== undefined && values.some((v) => v.toUpperCase() === value.trim().toUpperCase()));

export function retentionRuleFor(policy: RetentionPolicy, facts: Pick<StudyRetentionFacts, 'tenant' | 'facility'>): RetentionRule {
  const rule = policy.rules.find((r) => matchesAny(r.match.tenants, facts.tenant) && matchesAny(r.match.facilities, facts.facility));
  if (!rule) throw new RangeError('the retention policy has no rule for this study (its last rule must match everything)');
  return rule;
}

const later = (a: Date, b: Date) => (a.getTime() >= b.getTime() ? a : b);
const day = (date: Date) => date.toISOString().slice(0, 10);

export function evaluateRetention(policy: RetentionPolicy | undefined, facts: StudyRetentionFacts, now: Date): RetentionVerdict {
  if (facts.holdIds.length > 0) return { outcome: 'spared', safetyNet: 'legal-hold', reason: 'the study is under legal hold', holdIds: [...facts.holdIds] };
  if (facts.pins.length > 0) return { outcome: 'spared', safetyNet: 'research-pin', reason: `the study is pinned (${facts.pins.join(', ')})` };
  const dates = reliableDates(facts, now);
  if ('problem' in dates) return { outcome: 'spared', safetyNet: 'unreliable-dates', reason: dates.problem };
  if (!policy) return { outcome: 'spared', safetyNet: 'unreliable-dates', reason: 'the policy has no retention rules' };

  const rule = retentionRuleFor(policy, facts);
  const minor = addPeriod(dates.birth, AGE_OF_MAJORITY).getTime() > dates.study.getTime();
  const mammography = facts.modalities.some((m) => m.toUpperCase() === 'MG');
  const category: Category = minor && mammography ? 'minor-mammography' : minor ? 'minor' : mammography ? 'mammography' : 'adult';

  let ruleUntil = addPeriod(dates.study, parsePeriod(rule.adults));
  if (minor) ruleUntil = later(ruleUntil, addPeriod(addPeriod(dates.birth, parsePeriod(rule.minors.untilAge)), parsePeriod(rule.minors.plus)));
  if (mammography && rule.mammography !== undefined) ruleUntil = later(ruleUntil, addPeriod(dates.study, parsePeriod(rule.mammography)));
  const labels = { rule: rule.id, ...(rule.jurisdiction ? { jurisdiction: rule.jurisdiction } : {}), category };
  if (now.getTime() < ruleUntil.getTime()) return { outcome: 'retained', ...labels, retainUntil: day(ruleUntil) };

  // The rule's period has passed; the floors may still keep the study.
  const floors: { net: SafetyNet; until: Date; reason: string }[] = [];
  if (mammography) floors.push({ net: 'mammography-floor', until: addPeriod(dates.study, MAMMOGRAPHY_FLOOR), reason: 'mammograms are kept at least 10 years after the study (MQSA)' });
  if (minor) floors.push({ net: 'pediatric-floor', until: addPeriod(dates.birth, PEDIATRIC_PROTECTED_UNTIL_AGE), reason: "studies of minors are kept at least until the patient's 21st birthday" });
  const binding = floors.filter((f) => now.getTime() < f.until.getTime()).sort((a, b) => b.until.getTime() - a.until.getTime())[0];
  if (binding) return { outcome: 'spared', safetyNet: binding.net, reason: binding.reason, ...labels, retainUntil: day(binding.until) };
  return { outcome: 'eligible', ...labels, retainUntil: day(ruleUntil) };
}
