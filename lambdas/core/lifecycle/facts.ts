/**
 * The facts a lifecycle rule matches on, read from an instance's DICOM JSON at ingest.
 * Patient age is the age on the study date: PatientAge (0010,1010) when present, else the
 * difference between PatientBirthDate and StudyDate.
 */
import { firstString, type DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import type { InstanceFacts } from './evaluate.ts';

const TAG = {
  StudyDate: '00080020',
  Modality: '00080060',
  InstitutionName: '00080080',
  PatientBirthDate: '00100030',
  PatientAge: '00101010',
  BodyPartExamined: '00180015',
} as const;

const AGE_UNIT_DAYS: Record<string, number> = { D: 1, W: 7, M: 30.4375, Y: 365.25 };

/** DICOM AS (`045Y`, `018M`, `003W`, `010D`) → days; undefined when malformed. */
export function ageStringDays(value: string): number | undefined {
  const match = /^(\d{3})([DWMY])$/.exec(value.trim());
  return match ? Math.floor(Number(match[1]) * AGE_UNIT_DAYS[match[2]!]!) : undefined;
}

/** DICOM DA (`YYYYMMDD`) → `YYYY-MM-DD`; undefined when not a real date. */
export function isoDate(da: string): string | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  if (!match) return undefined;
  const iso = `${match[1]}-${match[2]}-${match[3]}`;
  const parsed = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== iso ? undefined : iso;
}

export function patientAgeDays(dataset: DicomJsonDataset): number | undefined {
  const stated = ageStringDays(firstString(dataset, TAG.PatientAge));
  if (stated !== undefined) return stated;
  const birth = isoDate(firstString(dataset, TAG.PatientBirthDate));
  const study = isoDate(firstString(dataset, TAG.StudyDate));
  if (!birth || !study) return undefined;
  const days = Math.floor((Date.parse(study) - Date.parse(birth)) / 86_400_000);
  return days >= 0 ? days : undefined;
}

const present = (value: string) => (value === '' ? undefined : value);

export function instanceFacts(dataset: DicomJsonDataset, context: { tenant: string; sopClass: string; ingestedAt: string }): InstanceFacts {
  return {
    tenant: context.tenant,
    sopClass: context.sopClass,
    ingestedAt: context.ingestedAt,
    facility: present(firstString(dataset, TAG.InstitutionName)),
    modality: present(firstString(dataset, TAG.Modality)),
    bodyPart: present(firstString(dataset, TAG.BodyPartExamined)),
    patientAgeDays: patientAgeDays(dataset),
    studyDate: isoDate(firstString(dataset, TAG.StudyDate)),
  };
}
