/**
 * Attribute matching for QIDO-RS (PS3.4 C.2.2.2, PS3.18 8.3.4.6): single value, UID list,
 * universal (empty), wildcard `*`/`?`, DA/TM/DT ranges (with StudyDate+StudyTime as one
 * range), sequence matching, case-insensitive PN, and fuzzy PN matching.
 */
import { BadRequestError } from '#core/errors.ts';
import type { DicomJsonAttribute, DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import type { QueryFilter } from './query-params.ts';
import { listValues } from './value-list.ts';

export type Matcher = (dataset: DicomJsonDataset) => boolean;

const STRING_VRS = new Set(['AE', 'AS', 'CS', 'DS', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UR', 'UT']);

/** One matcher per filter; universal matches (empty values) give none. */
export function compileFilters(filters: QueryFilter[], fuzzy: boolean): Matcher[] {
  const date = filters.find((f) => f.tag === '00080020' && f.path.length === 0);
  const time = filters.find((f) => f.tag === '00080030' && f.path.length === 0);
  const combined = date && time && date.value.includes('-') && time.value.includes('-');
  const matchers: Matcher[] = [];
  for (const filter of filters) {
    if (combined && (filter === date || filter === time)) continue;
    const matcher = compileFilter(filter, fuzzy);
    if (matcher) matchers.push(matcher);
  }
  if (combined) matchers.push(studyDateTimeMatcher(date.value, time.value));
  return matchers;
}


/** Universal matching (PS3.4 C.2.2.2.3): an empty value, or one made only of `*`. */
export const isUniversal = (value: string) => /^\**$/.test(value);

export function compileFilter(filter: QueryFilter, fuzzy: boolean): Matcher | undefined {
  if (isUniversal(filter.value)) return undefined;
  if (filter.path.length) {
    const [next, ...rest] = filter.path;
    const inner = compileFilter({ ...next!, path: rest, value: filter.value }, fuzzy);
    if (!inner) return undefined;
    return (dataset) => (dataset[filter.tag]?.Value ?? []).some((item) => inner(item as DicomJsonDataset));
  }
  const test = valueTest(filter, fuzzy);
  return (dataset) => matchesAttribute(dataset[filter.tag], test);
}

function matchesAttribute(attribute: DicomJsonAttribute | undefined, test: (value: string) => boolean): boolean {
  const values = attribute?.Value ?? [];
  if (values.length === 0) return false;
  return values.some((value) => value !== null && valueStrings(value).some(test));
}

/** PN values are matched against each of their component groups. */
function valueStrings(value: unknown): string[] {
  if (typeof value === 'object' && value !== null) return Object.values(value as Record<string, string>).filter(Boolean);
  return [String(value)];
}

function valueTest(filter: QueryFilter, fuzzy: boolean): (value: string) => boolean {
  const { vr, value } = filter;
  if (vr === 'DA') return rangeTest(value, normalizeDate);
  if (vr === 'TM') return rangeTest(value, normalizeTime);
  if (vr === 'DT') return rangeTest(value, (v) => v.replace(/[^0-9]/g, ''));
  const alternatives = listValues(value);
  if (vr === 'UI') return (candidate) => alternatives.includes(candidate);
  if (vr === 'PN') {
    const tests = alternatives.map((alternative) => (fuzzy ? fuzzyNameTest(alternative) : wildcardTest(alternative, true)));
    return (candidate) => tests.some((t) => t(candidate));
  }
  if (STRING_VRS.has(vr)) {
    const tests = alternatives.map((alternative) => wildcardTest(alternative, false));
    return (candidate) => tests.some((t) => t(candidate.trim()));
  }
  // Binary-numeric VRs (US, UL, SS, FL…): equality with any listed number.
  const numbers = alternatives.map(Number);
  if (numbers.some(Number.isNaN)) throw new BadRequestError(`"${value}" is not a valid value for ${filter.keyword} (${vr})`);
  return (candidate) => numbers.includes(Number(candidate));
}

function wildcardTest(pattern: string, caseInsensitive: boolean): (value: string) => boolean {
  if (!/[*?]/.test(pattern)) {
    return caseInsensitive ? (value) => value.toUpperCase() === pattern.toUpperCase() : (value) => value === pattern;
  }
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const regex = new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's');
  return (value) => regex.test(value);
}

/** Uppercase, no diacritics, components split on ^, =, spaces and commas. */
export function nameTokens(name: string): string[] {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .split(/[\^=\s,]+/)
    .filter(Boolean);
}

/** Fuzzy PN: every query token is a prefix of some name token, in any order, ignoring case and accents. */
function fuzzyNameTest(query: string): (value: string) => boolean {
  const wanted = nameTokens(query.replace(/[*?]/g, ''));
  return (value) => {
    const tokens = nameTokens(value);
    return wanted.every((w) => tokens.some((t) => t.startsWith(w)));
  };
}

export function normalizeDate(value: string): string {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = iso ? `${iso[1]}${iso[2]}${iso[3]}` : value.replace(/\./g, '');
  if (!/^\d{8}$/.test(date)) throw new BadRequestError(`"${value}" is not a DICOM date (YYYYMMDD)`);
  return date;
}

export function normalizeTime(value: string): string {
  const digits = value.replace(/:/g, '');
  if (!/^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$/.test(digits)) throw new BadRequestError(`"${value}" is not a DICOM time (HHMMSS.FFFFFF)`);
  const [whole = '', fraction = ''] = digits.split('.');
  return whole.padEnd(6, '0') + fraction.padEnd(6, '0');
}

/** `A`, `A-B`, `-B`, `A-` with the bounds normalised; dates written `2020-01-01` are accepted alone. */
export function parseRange(value: string, normalize: (v: string) => string): { from?: string; to?: string } {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const single = normalize(value);
    return { from: single, to: single };
  }
  const dash = value.indexOf('-');
  if (dash < 0) {
    const single = normalize(value);
    return { from: single, to: single };
  }
  const from = value.slice(0, dash).trim();
  const to = value.slice(dash + 1).trim();
  if (!from && !to) throw new BadRequestError(`"${value}" is not a range`);
  return { ...(from ? { from: normalize(from) } : {}), ...(to ? { to: normalize(to) } : {}) };
}

function rangeTest(value: string, normalize: (v: string) => string): (candidate: string) => boolean {
  const { from, to } = parseRange(value, normalize);
  return (candidate) => {
    let c: string;
    try {
      c = normalize(candidate.trim());
    } catch {
      return false;
    }
    return (from === undefined || c >= from) && (to === undefined || c <= to);
  };
}

/** StudyDate and StudyTime ranges together mean one date-time range (PS3.4 C.2.2.2.5.1). */
function studyDateTimeMatcher(dateValue: string, timeValue: string): Matcher {
  const dates = parseRange(dateValue, normalizeDate);
  const times = parseRange(timeValue, normalizeTime);
  const from = dates.from ? dates.from + (times.from ?? '000000000000') : undefined;
  const to = dates.to ? dates.to + (times.to ?? '235959999999') : undefined;
  return (dataset) => {
    const date = String(dataset['00080020']?.Value?.[0] ?? '');
    if (!/^\d{8}$/.test(date)) return false;
    let time: string;
    try {
      time = normalizeTime(String(dataset['00080030']?.Value?.[0] ?? '000000'));
    } catch {
      time = '000000000000';
    }
    const stamp = date + time;
    return (from === undefined || stamp >= from) && (to === undefined || stamp <= to);
  };
}
