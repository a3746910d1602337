/**
 * QIDO-RS query planning: every supported query shape maps to GetItem/Query on a designed key
 * (docs/data-model.md); the filters are then applied to the candidates in memory. A shape
 * with no usable key is refused with 400 and the keys to add — the table is never scanned.
 */
import { BadRequestError } from '#core/errors.ts';
import { Tag } from '#core/dicom/tags.ts';
import { isUniversal, nameTokens, normalizeDate, parseRange } from './matching.ts';
import { listValues } from './value-list.ts';
import type { QueryFilter } from './query-params.ts';

export type Level = 'study' | 'series' | 'instance';

export interface Scope {
  study?: string | undefined;
  series?: string | undefined;
}

export interface DateRange {
  from?: string;
  to?: string;
}

export type StudyPlan =
  | { kind: 'studies-by-uid'; uids: string[] }
  | { kind: 'studies-by-accession'; accession: string }
  | { kind: 'studies-by-patient'; patientId: string; dates: DateRange }
  | { kind: 'studies-by-name'; token: string }
  | { kind: 'studies-by-date'; dates: DateRange; bounded: boolean };

export type Plan =
  | StudyPlan
  | { kind: 'series-of-study'; study: string }
  | { kind: 'series-by-uid'; uids: string[] }
  | { kind: 'series-of-studies'; studies: StudyPlan }
  | { kind: 'instances-of-study'; study: string; series?: string | undefined }
  | { kind: 'instances-by-sop'; uids: string[] }
  /** Instances of one series named by SOP Instance UID: their items' keys are known (BatchGetItem). */
  | { kind: 'instances-by-key'; study: string; series: string; uids: string[] }
  | { kind: 'instances-of-studies'; studies: StudyPlan };

const STUDY_KEYS = 'StudyInstanceUID, AccessionNumber, PatientID, StudyDate or a PatientName prefix (e.g. DOE*)';

export function planQuery(level: Level, scope: Scope, filters: QueryFilter[], fuzzy: boolean): Plan {
  const exact = (tag: string) => {
    const filter = filters.find((f) => f.tag === tag && f.path.length === 0);
    return filter && filter.value !== '' && !/[*?]/.test(filter.value) ? filter.value : undefined;
  };
  // A UID named twice is one key: BatchGetItem refuses duplicate keys.
  const uids = (tag: string) => {
    const value = exact(tag);
    return value === undefined ? undefined : [...new Set(listValues(value))];
  };
  // An index key is one value as the matcher reads it: a list (`P1\\P2`, `P1,P2`) means "P1 or P2"
  // and is matched in memory; the whole value as one key would name no patient and find nothing.
  const single = (tag: string) => {
    const values = uids(tag);
    return values?.length === 1 ? values[0] : undefined;
  };
  /** The studies a search of all series or instances expands; never every study of the tenant. */
  const keyedStudies = (what: string, ownKey: string): StudyPlan => {
    const studies = planStudies(filters, fuzzy, single, uids);
    if (studies.kind === 'studies-by-date' && !studies.dates.from && !studies.dates.to) {
      throw new BadRequestError(`a search of all ${what} needs ${ownKey} or a study key: ${STUDY_KEYS}`);
    }
    return studies;
  };

  if (level === 'study') return planStudies(filters, fuzzy, single, uids);
  if (level === 'series') {
    if (scope.study) return { kind: 'series-of-study', study: scope.study };
    const series = uids(Tag.SeriesInstanceUID);
    if (series) return { kind: 'series-by-uid', uids: series };
    return { kind: 'series-of-studies', studies: keyedStudies('series', 'SeriesInstanceUID') };
  }
  const sops = uids(Tag.SOPInstanceUID);
  if (scope.study && scope.series && sops) return { kind: 'instances-by-key', study: scope.study, series: scope.series, uids: sops };
  if (scope.study) return { kind: 'instances-of-study', study: scope.study, series: scope.series };
  if (sops) return { kind: 'instances-by-sop', uids: sops };
  return { kind: 'instances-of-studies', studies: keyedStudies('instances', 'SOPInstanceUID') };
}

function planStudies(
  filters: QueryFilter[],
  fuzzy: boolean,
  single: (tag: string) => string | undefined,
  uids: (tag: string) => string[] | undefined,
): StudyPlan {
  const studyUids = uids(Tag.StudyInstanceUID);
  if (studyUids) return { kind: 'studies-by-uid', uids: studyUids };
  const accession = single(Tag.AccessionNumber);
  if (accession) return { kind: 'studies-by-accession', accession };
  const dateFilter = filters.find((f) => f.tag === Tag.StudyDate && f.path.length === 0 && !isUniversal(f.value));
  const dates: DateRange = dateFilter ? parseRange(dateFilter.value, normalizeDate) : {};
  const patientId = single(Tag.PatientID);
  if (patientId) return { kind: 'studies-by-patient', patientId, dates };
  const nameValue = filters.find((f) => f.tag === Tag.PatientName && f.path.length === 0)?.value;
  const name = nameValue === undefined || isUniversal(nameValue) ? undefined : nameValue;
  const token = name ? nameSearchToken(name, fuzzy) : undefined;
  if (token && !dateFilter) return { kind: 'studies-by-name', token };
  // Other filters are applied while walking the date index; the walk is bounded when any exist.
  const residual = filters.some((f) => f !== dateFilter && !isUniversal(f.value));
  if (name && !token && !dateFilter) {
    throw new BadRequestError(`PatientName "${name}" has no leading characters to search by; add ${STUDY_KEYS}`);
  }
  return { kind: 'studies-by-date', dates, bounded: residual };
}

/**
 * The name-index token a PatientName value can be searched by: the literal start of its first
 * component (`DOE^J*` → `DOE`), or with fuzzy matching the longest literal token.
 */
export function nameSearchToken(value: string, fuzzy: boolean): string | undefined {
  if (value === '' || /^[*?]/.test(value)) return undefined;
  if (fuzzy) {
    const tokens = nameTokens(value.replace(/[*?].*$/, ''));
    return tokens.sort((a, b) => b.length - a.length)[0];
  }
  const literal = value.split(/[*?]/)[0]!;
  return nameTokens(literal)[0];
}

export const STUDY_KEY_HELP = STUDY_KEYS;
