/**
 * A package's summary.json (docs/exports.md): what was exported, for whom, the counts, and the
 * SHA-256 of both manifests, whose rows carry each file's SHA-256. Signing this one document
 * with the KMS key therefore vouches for every file in the package.
 */
import { createHash } from 'node:crypto';
import type { ExportScope } from './export.ts';
import { matches, type ManifestRow } from './manifest.ts';
import { PACKAGE_DOCUMENTS } from './package-layout.ts';

export const SUMMARY_FORMAT = 'strata-discovery-export/1';
/** KMS Sign takes a RAW message of at most 4096 bytes; the summary is signed whole. */
export const MAX_SUMMARY_BYTES = 4096;

export interface SummaryInput {
  exportId: string;
  tenant: string;
  scope: ExportScope;
  matter?: string | undefined;
  requestedBy: string;
  requestedAt: string;
  completedAt: string;
  /** The exported hold was released (this ISO time) before the package was finished: the package says so. */
  holdReleasedAt?: string | undefined;
  studies: number;
  rows: readonly ManifestRow[];
  manifestCsv: string;
  manifestJson: string;
  signing: { keyId: string; algorithm: string };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The summary's exact bytes (the signature covers these bytes, not a re-serialisation). */
export function buildSummary(input: SummaryInput): string {
  const series = new Set(input.rows.map((r) => `${r.study}/${r.series}`));
  const summary = {
    format: SUMMARY_FORMAT,
    export: input.exportId,
    tenant: input.tenant,
    scope: input.scope,
    ...(input.holdReleasedAt === undefined ? {} : { holdReleasedAt: input.holdReleasedAt }),
    ...(input.matter === undefined ? {} : { matter: input.matter }),
    requestedBy: input.requestedBy,
    requestedAt: input.requestedAt,
    completedAt: input.completedAt,
    counts: {
      studies: input.studies,
      series: series.size,
      instances: input.rows.length,
      bytes: input.rows.reduce((sum, r) => sum + r.size, 0),
      mismatches: input.rows.filter((r) => !matches(r)).length,
    },
    manifests: {
      [PACKAGE_DOCUMENTS.manifestCsv]: { sha256: sha256(input.manifestCsv), bytes: Buffer.byteLength(input.manifestCsv) },
      [PACKAGE_DOCUMENTS.manifestJson]: { sha256: sha256(input.manifestJson), bytes: Buffer.byteLength(input.manifestJson) },
    },
    signature: { file: PACKAGE_DOCUMENTS.signature, publicKey: PACKAGE_DOCUMENTS.publicKey, keyId: input.signing.keyId, algorithm: input.signing.algorithm },
  };
  const text = `${JSON.stringify(summary, null, 2)}\n`;
  if (Buffer.byteLength(text) > MAX_SUMMARY_BYTES) throw new Error(`the export summary is ${Buffer.byteLength(text)} bytes; KMS signs at most ${MAX_SUMMARY_BYTES}`);
  return text;
}
