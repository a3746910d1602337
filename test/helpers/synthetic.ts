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
  /** Dataset attributes to leave out (e.g. '7FE00010' for a small object without pixels). */
  remove?: string[];
  /** File meta attributes to leave out. */
  removeMeta?: string[];
}

/** The bytes with every occurrence of `from` replaced by `to` (same length: nothing else moves). */
export function patchBytes(bytes: Buffer, from: string, to: string): Buffer {
  if (from.length !== to.length) throw new Error('patchBytes keeps lengths');
  const copy = Buffer.from(bytes);
  const needle = Buffer.from(from, 'latin1');
  let found = 0;
  for (let at = copy.indexOf(needle); at >= 0; at = copy.indexOf(needle, at + 1), found++) copy.write(to, at, 'latin1');
  if (!found) throw new Error(`"${from}" not found`);
  return copy;
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
  for (const tag of uids.remove ?? []) delete file.dict[tag];
  // Tests build invalid objects on purpose (over-long values among them).
  return Buffer.from(file.write({ allowInvalidVRLength: true }));
}

/** A minimal Part 10 object (a few hundred bytes, no pixels), for tests that need many instances. */
export function minimal(uids: SyntheticUids): Buffer {
  const sopClass = '1.2.840.10008.5.1.4.1.1.7'; // Secondary Capture Image Storage
  const meta = {
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': { vr: 'UI', Value: [sopClass] },
    '00020003': { vr: 'UI', Value: [uids.sop] },
    '00020010': { vr: 'UI', Value: ['1.2.840.10008.1.2.1'] },
  };
  const dict = new dcmjs.data.DicomDict(meta);
  dict.dict = {
    '00080016': { vr: 'UI', Value: [sopClass] },
    '00080018': { vr: 'UI', Value: [uids.sop] },
    '00080060': { vr: 'CS', Value: [uids.modality ?? 'OT'] },
    '00100010': { vr: 'PN', Value: [{ Alphabetic: uids.patientName ?? 'TEST^MINIMAL' }] },
    '00100020': { vr: 'LO', Value: [uids.patientId ?? 'MIN-1'] },
    '0020000D': { vr: 'UI', Value: [uids.study] },
    '0020000E': { vr: 'UI', Value: [uids.series] },
  };
  for (const tag of uids.remove ?? []) delete dict.dict[tag];
  for (const tag of uids.removeMeta ?? []) delete dict.meta[tag];
  return Buffer.from(dict.write());
}
