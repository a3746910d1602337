import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_QUERY } from '#core/exports/export.ts';
import { manifestCsv, manifestJson, type ManifestRow } from '#core/exports/manifest.ts';
import { buildSummary, MAX_SUMMARY_BYTES, SUMMARY_FORMAT, type SummaryInput } from '#core/exports/summary.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const rows: ManifestRow[] = [
  { patientId: 'P1', study: '1.1', series: '1.1.1', sop: '1.1.1.1', path: 'files/1.1/1.1.1/1.1.1.1.dcm', size: 10, sha256AtIngest: 'a', sha256AtExport: 'a' },
  { patientId: 'P1', study: '1.1', series: '1.1.2', sop: '1.1.2.1', path: 'files/1.1/1.1.2/1.1.2.1.dcm', size: 20, sha256AtIngest: 'b', sha256AtExport: 'c' },
  { patientId: 'P1', study: '1.2', series: '1.2.1', sop: '1.2.1.1', path: 'files/1.2/1.2.1/1.2.1.1.dcm', size: 30, sha256AtIngest: 'd', sha256AtExport: 'd' },
];
const input = (overrides: Partial<SummaryInput> = {}): SummaryInput => ({
  exportId: 'e1',
  tenant: 't1',
  scope: { hold: '00000000-0000-4000-8000-000000000000' },
  matter: 'Doe v. Hospital',
  requestedBy: 'client-1',
  requestedAt: '2030-01-01T00:00:00.000Z',
  completedAt: '2030-01-01T13:00:00.000Z',
  studies: 2,
  rows,
  manifestCsv: manifestCsv(rows),
  manifestJson: manifestJson('e1', rows),
  signing: { keyId: 'arn:aws:kms:us-east-1:1:key/k', algorithm: 'ECDSA_SHA_256' },
  ...overrides,
});

describe('The export summary', () => {
  it('counts studies, series, instances, bytes and mismatches, and names the signing key', () => {
    const summary = JSON.parse(buildSummary(input()));
    expect(summary).toMatchObject({
      format: SUMMARY_FORMAT,
      export: 'e1',
      tenant: 't1',
      matter: 'Doe v. Hospital',
      counts: { studies: 2, series: 3, instances: 3, bytes: 60, mismatches: 1 },
      signature: { file: 'summary.json.sig', publicKey: 'public-key.pem', keyId: 'arn:aws:kms:us-east-1:1:key/k', algorithm: 'ECDSA_SHA_256' },
    });
  });

  it('carries the SHA-256 and size of both manifests, so its signature vouches for every file listed', () => {
    const csv = manifestCsv(rows);
    const json = manifestJson('e1', rows);
    const summary = JSON.parse(buildSummary(input()));
    expect(summary.manifests).toEqual({
      'manifest.csv': { sha256: sha256(csv), bytes: Buffer.byteLength(csv) },
      'manifest.json': { sha256: sha256(json), bytes: Buffer.byteLength(json) },
    });
    const altered = JSON.parse(buildSummary(input({ manifestCsv: `${csv} ` })));
    expect(altered.manifests['manifest.csv'].sha256).not.toBe(summary.manifests['manifest.csv'].sha256);
  });

  it('is the same bytes for the same input, and leaves out a matter that was not given', () => {
    expect(buildSummary(input())).toBe(buildSummary(input()));
    expect(JSON.parse(buildSummary(input({ matter: undefined })))).not.toHaveProperty('matter');
  });

  it('fits what KMS signs (4096 bytes) with the longest query and matter a request may carry, every character escaped', () => {
    const worst = buildSummary(input({ scope: { query: '"'.repeat(MAX_QUERY) }, matter: '\\'.repeat(256), requestedBy: 'c'.repeat(128) }));
    expect(Buffer.byteLength(worst)).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
    expect(() => buildSummary(input({ scope: { query: '"'.repeat(MAX_QUERY * 2) } }))).toThrow(/KMS signs at most 4096/);
  });
});
