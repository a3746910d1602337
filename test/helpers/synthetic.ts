/**
 * Synthetic DICOM for tests and benchmarks: a real fixture rewritten by dcmjs with new UIDs
 * (and optionally padded pixel data), so studies of any shape can be built without new files.
 */
import dcmjs from 'dcmjs';
import { fixture } from './dicom.ts';

dcmjs.log.setLevel('error');

export interface SyntheticUids {
  study: string;
  series: string;
  sop: string;
  patientId?: string;
  patientName?: string;
  studyDate?: string;
  modality?: string;
  instanceNumber?: number;
  /** Any other attributes: tag → [VR, value]. */
  extra?: Record<string, [string, unknown]>;
}

export function synthesize(template: string, uids: SyntheticUids): Buffer {
  const source = fixture(template);
  const file = dcmjs.data.DicomMessage.readFile(source.buffer.slice(source.byteOffset, source.byteOffset + source.length) as ArrayBuffer);
  const set = (tag: string, vr: string, value: unknown) => (file.dict[tag] = { vr, Value: [value] });
  set('0020000D', 'UI', uids.study);
  set('0020000E', 'UI', uids.series);
  set('00080018', 'UI', uids.sop);
  file.meta['00020003'] = { vr: 'UI', Value: [uids.sop] };
  if (uids.patientId !== undefined) set('00100020', 'LO', uids.patientId);
  if (uids.patientName !== undefined) set('00100010', 'PN', { Alphabetic: uids.patientName });
  if (uids.studyDate !== undefined) set('00080020', 'DA', uids.studyDate);
  if (uids.modality !== undefined) set('00080060', 'CS', uids.modality);
  if (uids.instanceNumber !== undefined) set('00200013', 'IS', uids.instanceNumber);
  for (const [tag, [vr, value]] of Object.entries(uids.extra ?? {})) set(tag, vr, value);
  return Buffer.from(file.write());
}
