/**
 * The Store Instances Response Module (PS3.18 Annex I, Table I.1-1) and the STOW-RS status
 * code (Table 10.5.3-1): 200 all stored without warnings, 202 some failed or warned,
 * 409 none stored.
 */
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { Tag } from '#core/dicom/tags.ts';

const ReferencedSOPSequence = '00081199';
const FailedSOPSequence = '00081198';
const ReferencedSOPClassUID = '00081150';
const ReferencedSOPInstanceUID = '00081155';
const FailureReasonTag = '00081197';
const WarningReasonTag = '00081196';
/** The response's attributes, for readers of a response (the presigned uploads' per-file results). */
export const StoreResponseTags = { ReferencedSOPSequence, FailedSOPSequence, ReferencedSOPClassUID, ReferencedSOPInstanceUID, FailureReason: FailureReasonTag, WarningReason: WarningReasonTag } as const;

export interface StoredOutcome {
  sopClassUID: string;
  sopInstanceUID: string;
  retrieveUrl: string;
  warningReason?: number;
}

export interface FailedOutcome {
  sopClassUID: string;
  sopInstanceUID: string;
  failureReason: number;
  /** Why, for the client's Warning header (the response body has room for the reason code only). */
  detail?: string;
}

export interface StoreResult {
  status: 200 | 202 | 409;
  body: DicomJsonDataset;
}

export function storeResponse(stored: StoredOutcome[], failed: FailedOutcome[], studyRetrieveUrl: string | undefined): StoreResult {
  const body: DicomJsonDataset = {};
  if (failed.length) {
    body[FailedSOPSequence] = {
      vr: 'SQ',
      Value: failed.map((f) => ({
        [ReferencedSOPClassUID]: uidAttribute(f.sopClassUID),
        [ReferencedSOPInstanceUID]: uidAttribute(f.sopInstanceUID),
        [FailureReasonTag]: { vr: 'US', Value: [f.failureReason] },
      })),
    };
  }
  if (studyRetrieveUrl && stored.length) body[Tag.RetrieveURL] = { vr: 'UR', Value: [studyRetrieveUrl] };
  if (stored.length) {
    body[ReferencedSOPSequence] = {
      vr: 'SQ',
      Value: stored.map((s) => ({
        [Tag.RetrieveURL]: { vr: 'UR', Value: [s.retrieveUrl] },
        [ReferencedSOPClassUID]: uidAttribute(s.sopClassUID),
        [ReferencedSOPInstanceUID]: uidAttribute(s.sopInstanceUID),
        ...(s.warningReason === undefined ? {} : { [WarningReasonTag]: { vr: 'US', Value: [s.warningReason] } }),
      })),
    };
  }
  const warned = stored.some((s) => s.warningReason !== undefined);
  const status = stored.length === 0 ? 409 : failed.length || warned ? 202 : 200;
  return { status, body: sortKeys(body) };
}

const uidAttribute = (uid: string) => (uid ? { vr: 'UI', Value: [uid] } : { vr: 'UI' });

function sortKeys(dataset: DicomJsonDataset): DicomJsonDataset {
  return Object.fromEntries(Object.entries(dataset).sort(([a], [b]) => a.localeCompare(b)));
}
