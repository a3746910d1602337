/**
 * The retention part of the lifecycle policy (policies/lifecycle.yaml, `retention:`): how long
 * studies must be kept before disposition may delete them, per jurisdiction or facility and
 * per category (adults, minors, mammography). Rules are tried in order and the first whose
 * `match` holds decides, as for tier rules; the last must match everything.
 *
 * Durations are calendar periods counted from a date (`7y` is seven calendar years after the
 * study date, not 7 × 365 days): retention laws are written that way.
 */

export interface RetentionMatch {
  tenants?: string[];
  /** InstitutionName (0008,0080). */
  facilities?: string[];
}

export interface RetentionRule {
  id: string;
  description?: string;
  /** A label for reports (e.g. `US-NY`); the rule's `match` is what selects studies. */
  jurisdiction?: string;
  match: RetentionMatch;
  /** Adults: kept this long after the study date. */
  adults: string;
  /** Patients who were minors at the study: kept until `untilAge` plus `plus`, and never less than `adults` after the study. */
  minors: { untilAge: string; plus: string };
  /** Mammography: kept this long after the study (never below the 10-year MQSA floor). */
  mammography?: string;
}

export interface RetentionPolicy {
  /** How long a soft-deleted study stays recoverable before it is purged. */
  recoveryWindow: string;
  /** How long a certificate of destruction is kept under Object Lock (COMPLIANCE). */
  certificateRetention?: string;
  rules: RetentionRule[];
}

export interface Period {
  years: number;
  days: number;
}

const PERIOD = /^(\d{1,3})([dwy])$/;

/** `7y`, `26w`, `30d` → a calendar period; anything else is an error. */
export function parsePeriod(spec: string): Period {
  const match = PERIOD.exec(spec);
  if (!match) throw new RangeError(`not a retention period: "${spec}" (expected e.g. 7y, 26w, 30d)`);
  const amount = Number(match[1]);
  return match[2] === 'y' ? { years: amount, days: 0 } : { years: 0, days: match[2] === 'w' ? amount * 7 : amount };
}

/** Roughly comparable length in days (for checks between periods, never for dates). */
export const periodDays = (period: Period) => period.years * 365.25 + period.days;

/** The MQSA floor: mammograms are kept at least 10 years after the study (21 CFR 900.12(c)(4)). */
export const MAMMOGRAPHY_FLOOR: Period = { years: 10, days: 0 };
/** Minors become adults at 18 in every US state's default; a rule may keep them longer, never shorter. */
export const AGE_OF_MAJORITY: Period = { years: 18, days: 0 };
/** The pediatric safety net: no study of a minor is eligible before the patient's 21st birthday. */
export const PEDIATRIC_PROTECTED_UNTIL_AGE: Period = { years: 21, days: 0 };

export interface RetentionProblem {
  path: (string | number)[];
  message: string;
}

/** What the schema cannot say about a retention section (the loader turns paths into lines). */
export function retentionProblems(retention: RetentionPolicy): RetentionProblem[] {
  const problems: RetentionProblem[] = [];
  const seen = new Set<string>();
  retention.rules.forEach((rule, index) => {
    const at = (...path: (string | number)[]) => ['retention', 'rules', index, ...path];
    if (seen.has(rule.id)) problems.push({ path: at('id'), message: `retention rule id "${rule.id}" is used twice` });
    seen.add(rule.id);
    const catchAll = Object.keys(rule.match).length === 0;
    const last = index === retention.rules.length - 1;
    if (catchAll && !last) problems.push({ path: at('match'), message: `retention rule "${rule.id}" matches everything, so the rules after it can never apply (first match wins)` });
    if (last && !catchAll) problems.push({ path: at('match'), message: `the last retention rule ("${rule.id}") must match everything (match: {}), so every study has a retention period` });
    if (rule.mammography !== undefined && periodDays(parsePeriod(rule.mammography)) < periodDays(MAMMOGRAPHY_FLOOR)) {
      problems.push({ path: at('mammography'), message: `mammography must be kept at least 10 years (MQSA); ${rule.mammography} given` });
    }
    if (periodDays(parsePeriod(rule.minors.untilAge)) < periodDays(AGE_OF_MAJORITY)) {
      problems.push({ path: at('minors', 'untilAge'), message: `minors are kept at least until age 18; ${rule.minors.untilAge} given` });
    }
  });
  return problems;
}
