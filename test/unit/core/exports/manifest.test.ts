import { describe, expect, it } from 'vitest';
import { manifestCsv, manifestJson, MANIFEST_COLUMNS, type ManifestRow } from '#core/exports/manifest.ts';
import { packageFilePath } from '#core/exports/package-layout.ts';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
const row = (sop: string, overrides: Partial<ManifestRow> = {}): ManifestRow => ({
  patientId: 'P1',
  study: '1.2.3',
  series: '1.2.3.4',
  sop,
  path: packageFilePath({ study: '1.2.3', series: '1.2.3.4', sop }),
  size: 100,
  sha256AtIngest: HASH_A,
  sha256AtExport: HASH_A,
  ...overrides,
});

describe('The export manifest', () => {
  it('lists one CSV line per file in path order under the documented header, with CRLF line ends', () => {
    const csv = manifestCsv([row('1.2.3.4.6'), row('1.2.3.4.5', { sha256AtExport: HASH_B, size: 7 })]);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(MANIFEST_COLUMNS.join(','));
    expect(lines[1]).toBe(`P1,1.2.3,1.2.3.4,1.2.3.4.5,files/1.2.3/1.2.3.4/1.2.3.4.5.dcm,7,${HASH_A},${HASH_B},false`);
    expect(lines[2]).toBe(`P1,1.2.3,1.2.3.4,1.2.3.4.6,files/1.2.3/1.2.3.4/1.2.3.4.6.dcm,100,${HASH_A},${HASH_A},true`);
    expect(lines[3]).toBe('');
    expect(lines).toHaveLength(4);
  });

  it('quotes fields with commas or quotes and defuses patient ids a spreadsheet would run as formulas', () => {
    const csv = manifestCsv([row('1.1', { patientId: 'DOE, "J"' }), row('1.2', { patientId: '=HYPERLINK("x")' })]);
    expect(csv).toContain('"DOE, ""J""",1.2.3');
    expect(csv).toContain(`"'=HYPERLINK(""x"")",1.2.3`);
  });

  it('gives the same rows as JSON with a match flag, byte-identical whatever the rows\' order', () => {
    const rows = [row('1.2.3.4.6'), row('1.2.3.4.5', { sha256AtExport: 'missing' })];
    const json = manifestJson('e1', rows);
    expect(json).toBe(manifestJson('e1', [...rows].reverse()));
    const parsed = JSON.parse(json) as { export: string; files: (ManifestRow & { match: boolean })[] };
    expect(parsed.export).toBe('e1');
    expect(parsed.files.map((f) => [f.sop, f.match])).toEqual([
      ['1.2.3.4.5', false],
      ['1.2.3.4.6', true],
    ]);
    expect(parsed.files[1]).toEqual({ ...rows[0], match: true });
  });

  it('is a header alone for an export with no files', () => {
    expect(manifestCsv([])).toBe(`${MANIFEST_COLUMNS.join(',')}\r\n`);
    expect(JSON.parse(manifestJson('e0', []))).toEqual({ export: 'e0', files: [] });
  });
});
