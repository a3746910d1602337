/**
 * Reads a DICOM Part 10 instance (PS3.10) well enough to store and index it: the file meta,
 * the four identifying UIDs and the non-bulk attributes as DICOM JSON. Anything that is not
 * a complete Part 10 file is refused with the PS3.18 failure reason that says why.
 */
import dcmjs, { type DicomDataset } from 'dcmjs';
import { DicomParseError } from '../errors.ts';
import { toDicomJson, type DicomJsonDataset } from './dicom-json.ts';
import { Tag } from './tags.ts';

dcmjs.log.setLevel('error');

/** PS3.18 Table I.2-2 / PS3.4 Table B.2-1. */
export const FailureReason = {
  ProcessingFailure: 0x0110,
  SopClassNotSupported: 0x0122,
  OutOfResources: 0xa700,
  DataSetDoesNotMatchSopClass: 0xa900,
  /** Azure's DICOM service and Strata: the study UID differs from the one in the URL. */
  StudyInstanceUidMismatch: 0xa901,
  CannotUnderstand: 0xc000,
  TransferSyntaxNotSupported: 0xc122,
} as const;

export interface ParsedInstance {
  transferSyntaxUID: string;
  sopClassUID: string;
  sopInstanceUID: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  /** Every attribute except bulk binary values, as DICOM JSON. */
  dataset: DicomJsonDataset;
}

const UID = /^[0-9]+(\.[0-9]+)*$/;

export function readInstance(bytes: Uint8Array): ParsedInstance {
  if (bytes.length < 132 || Buffer.from(bytes.buffer, bytes.byteOffset + 128, 4).toString('latin1') !== 'DICM') {
    throw new DicomParseError('not a DICOM Part 10 file: the "DICM" prefix after the 128-byte preamble is missing');
  }
  const { meta, dict } = parseWithDcmjs(bytes);
  const metaValue = (tag: string) => stringValue(meta, tag);
  const value = (tag: string) => stringValue(dict, tag);

  const transferSyntaxUID = metaValue(Tag.TransferSyntaxUID);
  if (!transferSyntaxUID) throw new DicomParseError('the file meta information has no Transfer Syntax UID (0002,0010)');
  const parsed = {
    transferSyntaxUID,
    sopClassUID: value(Tag.SOPClassUID),
    sopInstanceUID: value(Tag.SOPInstanceUID),
    studyInstanceUID: value(Tag.StudyInstanceUID),
    seriesInstanceUID: value(Tag.SeriesInstanceUID),
  };
  for (const [name, uid] of Object.entries(parsed)) {
    if (!uid) throw new DicomParseError(`the dataset has no ${name}`, { failureReason: FailureReason.DataSetDoesNotMatchSopClass });
    if (!UID.test(uid) || uid.length > 64) {
      throw new DicomParseError(`${name} "${uid.slice(0, 70)}" is not a valid UID`, { failureReason: FailureReason.DataSetDoesNotMatchSopClass });
    }
  }
  const metaSopClass = metaValue(Tag.MediaStorageSOPClassUID);
  const metaSopInstance = metaValue(Tag.MediaStorageSOPInstanceUID);
  if ((metaSopClass && metaSopClass !== parsed.sopClassUID) || (metaSopInstance && metaSopInstance !== parsed.sopInstanceUID)) {
    throw new DicomParseError('the file meta SOP Class/Instance UIDs (0002,0002)/(0002,0003) differ from the dataset', {
      failureReason: FailureReason.DataSetDoesNotMatchSopClass,
    });
  }
  return { ...parsed, dataset: toDicomJson(dict, { inlineBinaryMaxBytes: 0 }) };
}

/**
 * dcmjs reads leniently: a value cut short is read as far as the bytes go, with a warning.
 * An archive must not accept a truncated object, so such warnings are failures here.
 */
function parseWithDcmjs(bytes: Uint8Array): { meta: DicomDataset; dict: DicomDataset } {
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const warnings: string[] = [];
  // dcmjs reports length problems on its "validation.dcmjs" logger.
  const log = dcmjs.log.getLogger('validation.dcmjs') as unknown as { warn: (...args: unknown[]) => void };
  const originalWarn = log.warn;
  log.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
  try {
    const file = dcmjs.data.DicomMessage.readFile(copy, { ignoreErrors: false, untilTag: null, noCopy: true });
    const truncated = warnings.find((warning) => /declares \d+ bytes but only \d+ are available/.test(warning));
    if (truncated) throw new DicomParseError(`the file is truncated: ${truncated}`);
    return { meta: file.meta, dict: file.dict };
  } catch (error) {
    if (error instanceof DicomParseError) throw error;
    throw new DicomParseError(`cannot parse the DICOM dataset: ${(error as Error).message}`, { cause: error });
  } finally {
    log.warn = originalWarn;
  }
}

function stringValue(dataset: DicomDataset, tag: string): string {
  const value = dataset[tag]?.Value?.[0];
  return typeof value === 'string' ? value.replace(/[\0 ]+$/, '').trim() : '';
}
