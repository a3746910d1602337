/** The audit subjects (patient, studies) of what a service found or stored. */
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import type { AuditSubject } from './record.ts';

/** PatientID (0010,0020) of a study-level dataset; undefined when absent or empty. */
export function patientIdOf(study: DicomJsonDataset): string | undefined {
  const value = study['00100020']?.Value?.[0];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** One subject per patient, with the studies of that patient among `records`. */
export function subjectsOf(records: readonly { id: { study: string }; study: DicomJsonDataset }[]): AuditSubject[] {
  const studiesByPatient = new Map<string | undefined, Set<string>>();
  for (const record of records) {
    const patientId = patientIdOf(record.study);
    studiesByPatient.set(patientId, (studiesByPatient.get(patientId) ?? new Set()).add(record.id.study));
  }
  return [...studiesByPatient].map(([patientId, studies]) => ({ patientId, studies: [...studies] }));
}

/**
 * The patient a QIDO query names: an exact PatientID (by keyword or tag). A wildcard or a list
 * names no one patient; the query text itself is kept with the record.
 */
export function patientIdOfQuery(pairs: readonly [string, string][]): string | undefined {
  const value = pairs.find(([name]) => name === 'PatientID' || name === '00100020')?.[1];
  return value && !/[*?\\,]/.test(value) ? value : undefined;
}
