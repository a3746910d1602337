/** The DICOM data dictionary (from dcmjs): keywords ↔ 8-hex-digit tags and their VRs. */
import dcmjs from '#core/dicom/dcmjs-configured.ts';

const { nameMap, dictionary } = dcmjs.data.DicomMetaDictionary;

const toHex = (tag: string) => tag.replace(/[(),]/g, '').toUpperCase();

export interface TagInfo {
  tag: string;
  keyword: string;
  vr: string;
}

/** `PatientName` or `00100010` (any case) → tag info; undefined for unknown attributes. */
export function lookupAttribute(attribute: string): TagInfo | undefined {
  if (/^[0-9a-fA-F]{8}$/.test(attribute)) {
    const tag = attribute.toUpperCase();
    const entry = dictionary[`(${tag.slice(0, 4)},${tag.slice(4)})`];
    return { tag, keyword: entry?.name ?? tag, vr: entry?.vr ?? 'UN' };
  }
  // Own keys only: `valueOf`, `constructor` or `__proto__` are object methods, not keywords.
  const entry = Object.hasOwn(nameMap, attribute) ? nameMap[attribute] : undefined;
  return entry ? { tag: toHex(entry.tag), keyword: entry.name, vr: entry.vr } : undefined;
}
