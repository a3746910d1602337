/**
 * Serialising DICOM JSON (PS3.18 Annex F) with attribute keys in ascending tag order.
 * JSON.stringify cannot do it: JavaScript puts integer-like keys ("14550010") before all
 * others whatever the insertion order, so datasets are written here explicitly.
 */
const TAG = /^[0-9A-F]{8}$/;

export function stringifyDicomJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : stringifyDicomJson(item))).join(',')}]`;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length && entries.every(([key]) => TAG.test(key))) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, v]) => `${JSON.stringify(key)}:${stringifyDicomJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
