/** Fixity: comparing what is stored with what was recorded at ingest, and summarising audits. */

export interface SeriesFixity {
  series: string;
  status?: string;
  error?: string;
  verified: number;
  mismatched: string[];
  missing: string[];
  cold: number;
}

export type FixityStatus = 'INTACT' | 'DAMAGED' | 'INCOMPLETE';

/** DAMAGED if any instance is missing or changed; INCOMPLETE if some could not be read; else INTACT. */
export function summariseFixity(results: SeriesFixity[]) {
  const mismatched = results.flatMap((r) => r.mismatched);
  const missing = results.flatMap((r) => r.missing);
  const cold = results.reduce((sum, r) => sum + r.cold, 0);
  const unverifiableSeries = results.filter((r) => r.status === 'UNVERIFIABLE').map((r) => r.series);
  const status: FixityStatus = mismatched.length || missing.length ? 'DAMAGED' : cold || unverifiableSeries.length ? 'INCOMPLETE' : 'INTACT';
  return { status, verified: results.reduce((sum, r) => sum + r.verified, 0), mismatched, missing, cold, unverifiableSeries };
}
