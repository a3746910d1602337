/**
 * Count reconciliation: the study and series counts (NumberOfStudyRelated…, ModalitiesInStudy,
 * SOPClassesInStudy) are derived data; this recomputes them from the instance items of each
 * study and corrects what differs, reporting every correction. Studies are walked one gsi3
 * page per call (less when the call's time runs short), so a Step Functions loop covers any
 * number of them.
 */
import {
  correctSeriesCount,
  correctStudySummary,
  createSeriesSummary,
  deleteEmptySeries,
  readInstanceFacts,
  readStudySummary,
  studyPage,
  type InstanceFacts,
  type StudySummary,
} from '#adapters/study-counts.ts';

export interface Correction {
  study: string;
  series?: string;
  field: string;
  was: unknown;
  now: unknown;
}

export interface ReconcileState {
  cursor?: string | undefined;
  studiesChecked: number;
  corrections: number;
  /** The first corrections in full (bounded: Step Functions state is at most 256 KB). */
  corrected: Correction[];
  /** Studies that kept changing while they were checked (checked again next time). */
  busy: string[];
}

const PAGE = 25;
const MAX_LISTED = 100;
const ATTEMPTS = 3;
const TIME_RESERVE_MS = 10_000; // one large study, and the answer

export async function reconcileCountsPage(tenant: string, state: Partial<ReconcileState>, now: Date, timeLeftMs: () => number): Promise<ReconcileState> {
  const next: ReconcileState = { studiesChecked: 0, corrections: 0, corrected: [], busy: [], ...state, cursor: undefined };
  const page = await studyPage(tenant, state.cursor, PAGE);
  let last: string | undefined;
  for (const { study, cursor } of page.studies) {
    if (last !== undefined && timeLeftMs() < TIME_RESERVE_MS) break;
    const corrections = await reconcileStudy(tenant, study, now.toISOString());
    last = cursor;
    next.studiesChecked++;
    if (corrections === undefined) {
      if (next.busy.length < MAX_LISTED) next.busy.push(study);
      continue;
    }
    next.corrections += corrections.length;
    next.corrected.push(...corrections.slice(0, MAX_LISTED - next.corrected.length));
  }
  next.cursor = page.more || last !== page.studies.at(-1)?.cursor ? last : undefined;
  return next;
}

/** The corrections made to one study, or undefined if it kept changing under us. */
export async function reconcileStudy(tenant: string, study: string, at: string): Promise<Correction[] | undefined> {
  // Kept across attempts: a correction made before a later one had to be re-read stays made.
  const corrections: Correction[] = [];
  attempts: for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    // Counts first, instances second: a commit in between changes the counts, and the
    // conditional corrections below then fail instead of writing a stale truth.
    const seen = await readStudySummary(tenant, study);
    if (!seen) return [];
    const facts = await readInstanceFacts(tenant, study);
    const actual = summarise(facts);
    for (const [series, count] of actual.series) {
      const had = seen.series.get(series);
      if (had === undefined) {
        if (!(await createSeriesSummary(tenant, study, series, count, at))) continue attempts;
        corrections.push({ study, series, field: 'series', was: 'missing', now: count });
      } else if (had !== count) {
        if (!(await correctSeriesCount(tenant, study, series, had, count, at))) continue attempts;
        corrections.push({ study, series, field: 'nInstances', was: had, now: count });
      }
    }
    for (const [series, had] of seen.series) {
      if (actual.series.has(series)) continue;
      if (!(await deleteEmptySeries(tenant, study, series, had))) continue attempts;
      corrections.push({ study, series, field: 'series', was: had, now: 'removed (no instances)' });
    }
    const studyFields = (['nInstances', 'nSeries', 'modalities', 'sopClasses'] as const).filter(
      (field) => JSON.stringify(seen[field]) !== JSON.stringify(actual[field]),
    );
    if (studyFields.length) {
      if (!(await correctStudySummary(tenant, study, seen, actual, at))) continue attempts;
      for (const field of studyFields) corrections.push({ study, field, was: seen[field], now: actual[field] });
    }
    return corrections;
  }
  return undefined;
}

function summarise(facts: InstanceFacts[]): StudySummary {
  const series = new Map<string, number>();
  for (const fact of facts) series.set(fact.series, (series.get(fact.series) ?? 0) + 1);
  return {
    nInstances: facts.length,
    nSeries: series.size,
    modalities: [...new Set(facts.map((f) => f.modality).filter(Boolean))].sort(),
    sopClasses: [...new Set(facts.map((f) => f.sopClassUID).filter(Boolean))].sort(),
    series,
  };
}
