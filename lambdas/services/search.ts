/**
 * QIDO-RS search (PS3.18 10.6): plan the query on a designed key, stream candidates in a
 * stable order, apply the matching rules, then offset and limit. Walks that rely on filters
 * alone are bounded; past the bound the request is refused with the keys that would help.
 */
import { aggregateAvailability, instanceAvailability } from '#core/lifecycle/availability.ts';
import { clock } from '#adapters/clock.ts';
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { Tag } from '#core/dicom/tags.ts';
import { resourceUrl } from '#core/dicomweb/resource-url.ts';
import { BadRequestError } from '#core/errors.ts';
import { compileFilters, type Matcher } from '#core/qido/matching.ts';
import { planQuery, STUDY_KEY_HELP, type Level, type Plan, type Scope, type StudyPlan } from '#core/qido/query-plan.ts';
import type { QidoQuery } from '#core/qido/query-params.ts';
import { responseDataset } from '#core/qido/result-attributes.ts';
import { instancePrivateAttributes } from '#core/qido/private-attributes.ts';
import { listInstanceRecords, type InstanceRecord } from '#adapters/index-store.ts';
import * as store from '#adapters/search-store.ts';
import type { ReadMeter, SeriesRow, StudyRow } from '#adapters/search-store.ts';

export const MAX_LIMIT = 1000;
/** How many candidates a filter-only walk may examine before the query is called too broad. */
export const MAX_EXAMINED = 5000;
/** How many studies a search of all series or instances may expand. */
export const MAX_STUDIES_EXPANDED = 200;

export interface SearchRequest {
  tenant: string;
  level: Level;
  scope: Scope;
  query: QidoQuery;
  serviceUrl: string;
}

export interface SearchResult {
  matches: DicomJsonDataset[];
  warnings: string[];
  readUnits: number;
  plan: Plan['kind'];
}

export async function search(request: SearchRequest): Promise<SearchResult> {
  const { query, level, scope } = request;
  const plan = planQuery(level, scope, query.filters, query.fuzzy);
  const matchers = compileFilters(query.filters, query.fuzzy);
  const meter: ReadMeter = { readUnits: 0 };
  const limit = Math.min(query.limit ?? MAX_LIMIT, MAX_LIMIT);
  const warnings = [...query.warnings];
  if (query.limit !== undefined && query.limit > MAX_LIMIT) warnings.push(`limit was capped at ${MAX_LIMIT}`);

  const matches: DicomJsonDataset[] = [];
  let skipped = 0;
  let more = false;
  const bounded = plan.kind === 'studies-by-date' && plan.bounded;
  let examined = 0;
  for await (const view of candidates(plan, request, meter)) {
    if (bounded && ++examined > MAX_EXAMINED) {
      throw new BadRequestError(`the query is too broad to answer without scanning: add ${STUDY_KEY_HELP}, or a StudyDate range`);
    }
    if (!matchers.every((matches) => matches(view))) continue;
    if (skipped < query.offset) {
      skipped++;
      continue;
    }
    if (matches.length === limit) {
      more = true;
      break;
    }
    matches.push(responseDataset(view, responseLevels(level, scope), query));
  }
  if (more) warnings.push(`there are more than ${limit} matches; ask for the next ones with offset=${query.offset + limit}`);
  return { matches, warnings, readUnits: meter.readUnits, plan: plan.kind };
}

function responseLevels(level: Level, scope: Scope): Level[] {
  if (level === 'study') return ['study'];
  if (level === 'series') return scope.study ? ['series'] : ['study', 'series'];
  if (scope.series) return ['instance'];
  return scope.study ? ['series', 'instance'] : ['study', 'series', 'instance'];
}

async function* candidates(plan: Plan, request: SearchRequest, meter: ReadMeter): AsyncGenerator<DicomJsonDataset> {
  const { tenant, serviceUrl } = request;
  switch (plan.kind) {
    case 'series-of-study': {
      const [study] = await store.studiesByUid(tenant, [plan.study], meter);
      if (study) yield* seriesViews(study, await store.seriesOfStudy(tenant, plan.study, meter), serviceUrl);
      return;
    }
    case 'series-by-uid': {
      const rows = (await Promise.all(plan.uids.map((uid) => store.seriesByUid(tenant, uid, meter)))).flat();
      const studies = await studyMap(tenant, rows.map((r) => r.study), meter);
      for (const row of sortSeries(rows)) {
        const study = studies.get(row.study);
        if (study) yield seriesView(study, row, serviceUrl);
      }
      return;
    }
    case 'series-of-studies':
      for await (const study of expandStudies(plan.studies, request, meter)) {
        yield* seriesViews(study, await store.seriesOfStudy(tenant, study.study, meter), serviceUrl);
      }
      return;
    case 'instances-of-study': {
      const [study] = await store.studiesByUid(tenant, [plan.study], meter);
      if (!study) return;
      const series = new Map((await store.seriesOfStudy(tenant, plan.study, meter)).map((s) => [s.series, s]));
      yield* instanceViews(study, series, await listInstanceRecords(tenant, plan.study, plan.series, meter), serviceUrl);
      return;
    }
    case 'instances-by-key': {
      const [study] = await store.studiesByUid(tenant, [plan.study], meter);
      if (!study) return;
      const series = new Map((await store.seriesOfStudy(tenant, plan.study, meter)).map((s) => [s.series, s]));
      yield* instanceViews(study, series, await store.instancesByKey(tenant, plan.study, plan.series, plan.uids, meter), serviceUrl);
      return;
    }
    case 'instances-by-sop': {
      const rows = await store.instancesBySop(tenant, plan.uids, meter);
      const studies = await studyMap(tenant, rows.map((r) => r.id.study), meter);
      for (const row of rows) {
        const study = studies.get(row.id.study);
        if (study) yield instanceView(study, undefined, row, serviceUrl);
      }
      return;
    }
    case 'instances-of-studies':
      for await (const study of expandStudies(plan.studies, request, meter)) {
        const series = new Map((await store.seriesOfStudy(tenant, study.study, meter)).map((s) => [s.series, s]));
        yield* instanceViews(study, series, await listInstanceRecords(tenant, study.study, undefined, meter), serviceUrl);
      }
      return;
    default:
      for await (const study of studyRows(plan, tenant, meter)) yield studyView(study, serviceUrl);
  }
}

/** Studies in a stable order: newest StudyDate/StudyTime first, then UID. */
async function* studyRows(plan: StudyPlan, tenant: string, meter: ReadMeter): AsyncGenerator<StudyRow> {
  switch (plan.kind) {
    case 'studies-by-uid':
      yield* sortStudies(await store.studiesByUid(tenant, plan.uids, meter));
      return;
    case 'studies-by-accession':
      yield* sortStudies(await store.studiesByAccession(tenant, plan.accession, meter));
      return;
    case 'studies-by-patient':
      yield* store.studiesOfPatient(tenant, plan.patientId, plan.dates, meter);
      return;
    case 'studies-by-name': {
      const uids = await store.studiesByNameToken(tenant, plan.token, meter, MAX_EXAMINED);
      if (uids.length > MAX_EXAMINED) {
        throw new BadRequestError(`PatientName matches too many studies; use a longer prefix, or add ${STUDY_KEY_HELP}`);
      }
      yield* sortStudies(await store.studiesByUid(tenant, uids, meter));
      return;
    }
    case 'studies-by-date':
      yield* store.studiesByDate(tenant, plan.dates, meter);
  }
}

/** The studies a search of all series/instances expands, filtered on study-level keys first. */
async function* expandStudies(plan: StudyPlan, request: SearchRequest, meter: ReadMeter): AsyncGenerator<StudyRow> {
  const studyFilters = request.query.filters.filter((f) => STUDY_LEVEL_FILTER_TAGS.has(f.tag));
  const matchers: Matcher[] = compileFilters(studyFilters, request.query.fuzzy);
  let expanded = 0;
  for await (const study of studyRows(plan, request.tenant, meter)) {
    if (!matchers.every((m) => m(studyView(study, request.serviceUrl)))) continue;
    if (++expanded > MAX_STUDIES_EXPANDED) {
      throw new BadRequestError(`the query spans more than ${MAX_STUDIES_EXPANDED} studies; narrow it with ${STUDY_KEY_HELP}`);
    }
    yield study;
  }
}

const STUDY_LEVEL_FILTER_TAGS = new Set<string>([
  Tag.StudyDate, Tag.StudyTime, Tag.AccessionNumber, Tag.ModalitiesInStudy, Tag.ReferringPhysicianName, Tag.PatientName,
  Tag.PatientID, Tag.StudyInstanceUID, Tag.StudyID, Tag.StudyDescription, Tag.PatientBirthDate, Tag.PatientSex,
]);

async function studyMap(tenant: string, uids: string[], meter: ReadMeter): Promise<Map<string, StudyRow>> {
  const rows = await store.studiesByUid(tenant, [...new Set(uids)], meter);
  return new Map(rows.map((row) => [row.study, row]));
}

const firstValue = (dataset: DicomJsonDataset, tag: string) => String(dataset[tag]?.Value?.[0] ?? '');
const numberValue = (dataset: DicomJsonDataset, tag: string) => Number(dataset[tag]?.Value?.[0] ?? Number.MAX_SAFE_INTEGER);

function sortStudies(rows: StudyRow[]): StudyRow[] {
  const key = (r: StudyRow) => `${firstValue(r.dicom, Tag.StudyDate).padEnd(8, '0')}${firstValue(r.dicom, Tag.StudyTime)}`;
  return rows.sort((a, b) => key(b).localeCompare(key(a)) || a.study.localeCompare(b.study));
}

function sortSeries(rows: SeriesRow[]): SeriesRow[] {
  return rows.sort((a, b) => numberValue(a.dicom, Tag.SeriesNumber) - numberValue(b.dicom, Tag.SeriesNumber) || a.series.localeCompare(b.series));
}

function studyView(row: StudyRow, serviceUrl: string): DicomJsonDataset {
  return {
    ...row.dicom,
    [Tag.InstanceAvailability]: { vr: 'CS', Value: [aggregateAvailability(row.cold)] },
    [Tag.ModalitiesInStudy]: row.modalities.length ? { vr: 'CS', Value: row.modalities } : { vr: 'CS' },
    [Tag.SOPClassesInStudy]: { vr: 'UI', Value: row.sopClasses },
    [Tag.RetrieveURL]: { vr: 'UR', Value: [resourceUrl(serviceUrl, { study: row.study })] },
    [Tag.NumberOfStudyRelatedSeries]: { vr: 'IS', Value: [row.nSeries] },
    [Tag.NumberOfStudyRelatedInstances]: { vr: 'IS', Value: [row.nInstances] },
  };
}

function seriesView(study: StudyRow, row: SeriesRow, serviceUrl: string): DicomJsonDataset {
  return {
    ...studyView(study, serviceUrl),
    ...row.dicom,
    [Tag.RetrieveURL]: { vr: 'UR', Value: [resourceUrl(serviceUrl, row)] },
    [Tag.InstanceAvailability]: { vr: 'CS', Value: [aggregateAvailability(row.cold)] },
    [Tag.NumberOfSeriesRelatedInstances]: { vr: 'IS', Value: [row.nInstances] },
  };
}

function* seriesViews(study: StudyRow, rows: SeriesRow[], serviceUrl: string): Generator<DicomJsonDataset> {
  for (const row of sortSeries(rows)) yield seriesView(study, row, serviceUrl);
}

function instanceView(study: StudyRow, series: SeriesRow | undefined, record: InstanceRecord, serviceUrl: string): DicomJsonDataset {
  const seriesPart = series ? seriesView(study, series, serviceUrl) : { ...studyView(study, serviceUrl), ...record.series };
  return {
    ...seriesPart,
    ...record.instance,
    ...instancePrivateAttributes(record.sha256),
    [Tag.InstanceAvailability]: { vr: 'CS', Value: [instanceAvailability(record.storageClass, record.restoredUntil, clock.now())] },
    [Tag.RetrieveURL]: { vr: 'UR', Value: [resourceUrl(serviceUrl, record.id)] },
  };
}

function* instanceViews(study: StudyRow, series: Map<string, SeriesRow>, records: InstanceRecord[], serviceUrl: string): Generator<DicomJsonDataset> {
  const ordered = records.sort(
    (a, b) =>
      a.id.series.localeCompare(b.id.series) ||
      numberValue(a.instance, Tag.InstanceNumber) - numberValue(b.instance, Tag.InstanceNumber) ||
      a.id.sop.localeCompare(b.id.sop),
  );
  for (const record of ordered) yield instanceView(study, series.get(record.id.series), record, serviceUrl);
}
