/**
 * The File Meta Information (PS3.10 7.1) of an instance received over DIMSE, whose dataset
 * arrives without one: explicit VR little endian, with its group length, as DCMTK writes it.
 * The dataset bytes that follow are kept exactly as the sender encoded them.
 */
export interface MetaFields {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** The sender's AE title ((0002,0016) Source Application Entity Title). */
  sourceAeTitle: string;
}

/** Strata's implementation class UID (under the 2.25 UUID root) and version name. */
export const IMPLEMENTATION_CLASS_UID = '2.25.241090547123429618498211853011813461547';
export const IMPLEMENTATION_VERSION = 'STRATA_EDGE_1';

export function fileMetaHeader(fields: MetaFields): Buffer {
  const elements = [
    element(0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 'UI', text(fields.sopClassUid, '\0')),
    element(0x0003, 'UI', text(fields.sopInstanceUid, '\0')),
    element(0x0010, 'UI', text(fields.transferSyntaxUid, '\0')),
    element(0x0012, 'UI', text(IMPLEMENTATION_CLASS_UID, '\0')),
    element(0x0013, 'SH', text(IMPLEMENTATION_VERSION, ' ')),
    ...(fields.sourceAeTitle ? [element(0x0016, 'AE', text(fields.sourceAeTitle.trim(), ' '))] : []),
  ];
  const body = Buffer.concat(elements);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length);
  const preamble = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1')]);
  return Buffer.concat([preamble, element(0x0000, 'UL', groupLength), body]);
}

/** A value padded to even length (PS3.5 6.2: UIDs with NUL, text with a space). */
function text(value: string, pad: '\0' | ' '): Buffer {
  return Buffer.from(value.length % 2 ? value + pad : value, 'latin1');
}

function element(elementNumber: number, vr: string, value: Buffer): Buffer {
  const longForm = vr === 'OB';
  const header = Buffer.alloc(longForm ? 12 : 8);
  header.writeUInt16LE(0x0002, 0);
  header.writeUInt16LE(elementNumber, 2);
  header.write(vr, 4, 'latin1');
  if (longForm) header.writeUInt32LE(value.length, 8);
  else header.writeUInt16LE(value.length, 6);
  return Buffer.concat([header, value]);
}
