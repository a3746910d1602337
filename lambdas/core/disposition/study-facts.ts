/** The retention facts of a study, from its index item (study-level DICOM JSON and sets). */
import { firstString, type DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import type { StudyRetentionFacts } from './retention.ts';

const TAG = { StudyDate: '00080020', InstitutionName: '00080080', PatientBirthDate: '00100030' } as const;

export interface StudyItemView {
  dicom?: string | DicomJsonDataset | undefined;
  modalities?: Iterable<string> | undefined;
  /** Research or teaching pins: attribute `pins` (a string set) of the study item. */
  pins?: Iterable<string> | undefined;
}

const present = (value: string) => (value.trim() === '' ? undefined : value.trim());

export function studyFacts(tenant: string, item: StudyItemView, holdIds: readonly string[]): StudyRetentionFacts {
  const dataset = (typeof item.dicom === 'string' ? JSON.parse(item.dicom) : (item.dicom ?? {})) as DicomJsonDataset;
  return {
    tenant,
    facility: present(firstString(dataset, TAG.InstitutionName)),
    modalities: [...(item.modalities ?? [])],
    studyDate: present(firstString(dataset, TAG.StudyDate)),
    birthDate: present(firstString(dataset, TAG.PatientBirthDate)),
    pins: [...(item.pins ?? [])],
    holdIds,
  };
}
