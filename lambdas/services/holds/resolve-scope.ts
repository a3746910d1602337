/**
 * A hold's scope as the studies it covers now, each with its PatientID, found by a designed key:
 * a patient's studies on gsi1, an accession's on gsi2, a study by its key, a QIDO study query
 * through the search service (whose own bounds refuse a query that would need a scan).
 */
import { BadRequestError } from '#core/errors.ts';
import { Tag } from '#core/dicom/tags.ts';
import { firstString, type DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import type { HeldSubject, HoldScope } from '#core/holds/hold.ts';
import { parseQidoQuery } from '#core/qido/query-params.ts';
import { studiesByAccession, studiesByUid, studiesOfPatient } from '#adapters/search-store.ts';
import { MAX_LIMIT, search } from '#services/search.ts';

/** One hold's studies travel through a workflow's state (256 KiB): at most this many. */
export const MAX_HELD_STUDIES = 2_000;

export async function resolveHoldScope(tenant: string, scope: HoldScope): Promise<string[]> {
  return (await resolveHeldSubjects(tenant, scope)).map((subject) => subject.study);
}

const subjectOf = (study: string, dataset: DicomJsonDataset): HeldSubject => ({ study, patientId: firstString(dataset, Tag.PatientID) });

export async function resolveHeldSubjects(tenant: string, scope: HoldScope): Promise<HeldSubject[]> {
  const meter = { readUnits: 0 };
  let subjects: HeldSubject[];
  if ('patient' in scope) {
    // By PatientID: IssuerOfPatientID is not kept at study level, so every study with the ID is
    // held (preserving too much is the safe side); ingest matches the issuer (docs/legal-hold.md).
    subjects = [];
    for await (const row of studiesOfPatient(tenant, scope.patient.id, {}, meter)) {
      subjects.push({ study: row.study, patientId: scope.patient.id });
      if (subjects.length > MAX_HELD_STUDIES) break;
    }
  } else if ('study' in scope) {
    subjects = (await studiesByUid(tenant, [scope.study], meter)).map((row) => subjectOf(row.study, row.dicom));
  } else if ('accession' in scope) {
    subjects = (await studiesByAccession(tenant, scope.accession, meter)).map((row) => subjectOf(row.study, row.dicom));
  } else {
    const query = parseQidoQuery([...new URLSearchParams(scope.query)]);
    // QIDO answers a query with an unknown attribute, ignoring it (a Warning); a hold or an export
    // must not: a mistyped key (`PatientId=`) would otherwise cover every study of the tenant.
    if (query.warnings.length) throw new BadRequestError(`the query is not one QIDO-RS understands in full: ${query.warnings.join('; ')}`);
    if (query.filters.every((filter) => filter.value === '')) {
      throw new BadRequestError('the query names no matching key: a hold or an export of a whole tenant is not a query (name the patient, study or accession)');
    }
    const result = await search({ tenant, level: 'study', scope: {}, query: { ...query, offset: 0, limit: MAX_LIMIT }, serviceUrl: '' });
    if (result.warnings.some((w) => w.startsWith('there are more than'))) {
      throw new BadRequestError(`the hold's query matches more than ${MAX_LIMIT} studies: narrow it, or place several holds`);
    }
    subjects = result.matches.map((dataset) => subjectOf(firstString(dataset, Tag.StudyInstanceUID), dataset)).filter((subject) => subject.study);
  }
  if (subjects.length > MAX_HELD_STUDIES) throw new BadRequestError(`a hold covers at most ${MAX_HELD_STUDIES} studies; split it into several holds`);
  return [...new Map(subjects.map((subject) => [subject.study, subject])).values()];
}
