/**
 * A package's manifest (docs/exports.md): one row per exported instance with its UIDs, where it
 * is in the package, its size, the SHA-256 recorded at ingest and the SHA-256 of the bytes as
 * copied, and whether they match. The same rows as CSV (RFC 4180) and as JSON.
 */
export interface ManifestRow {
  patientId: string;
  study: string;
  series: string;
  sop: string;
  /** The file's path inside the package (package-layout.ts). */
  path: string;
  size: number;
  sha256AtIngest: string;
  sha256AtExport: string;
}

export const MANIFEST_COLUMNS = [
  'patient_id',
  'study_instance_uid',
  'series_instance_uid',
  'sop_instance_uid',
  'path',
  'size_bytes',
  'sha256_at_ingest',
  'sha256_at_export',
  'match',
] as const;

export const matches = (row: Pick<ManifestRow, 'sha256AtIngest' | 'sha256AtExport'>) => row.sha256AtIngest === row.sha256AtExport;

/** Rows in path order, so the same export always gives byte-identical manifests. */
export function orderedRows(rows: readonly ManifestRow[]): ManifestRow[] {
  return [...rows].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled; lines end CRLF. */
function csvField(value: string | number | boolean): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A field a spreadsheet would run as a formula (=, +, -, @ first) is prefixed with `'` (OWASP
 * CSV injection): PatientID is free text from the modality. UIDs, sizes and hashes never start so.
 */
const defused = (text: string) => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);

export function manifestCsv(rows: readonly ManifestRow[]): string {
  const lines = [MANIFEST_COLUMNS.join(',')];
  for (const row of orderedRows(rows)) {
    lines.push(
      [defused(row.patientId), row.study, row.series, row.sop, row.path, row.size, row.sha256AtIngest, row.sha256AtExport, matches(row)].map(csvField).join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function manifestJson(exportId: string, rows: readonly ManifestRow[]): string {
  const files = orderedRows(rows).map((row) => ({ ...row, match: matches(row) }));
  return `${JSON.stringify({ export: exportId, files }, null, 2)}\n`;
}
