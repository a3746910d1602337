/**
 * The parts of the API's answers the console draws (lambdas/core/finance/report.ts,
 * projection.ts; the disposition run and its summary). No DOM: figures.ts and its unit test use them.
 */
export interface CostLines {
  storage: number;
  overhead: number;
  earlyDeletion: number;
  requests: number;
  retrieval: number;
  total: number;
}

export interface OpexRow {
  month: string;
  tier?: string;
  tenant?: string;
  modality?: string;
  objects: number;
  bytes: number;
  gbMonths: number;
  cost: CostLines;
}

export interface OpexReport {
  from: string;
  to: string;
  currency: string;
  currentMonth: string;
  prices: { region: string; asOf: Record<string, string> };
  rows: OpexRow[];
  totals: CostLines;
}

export interface ProjectedYear {
  year: number;
  yearTotal: number;
  cumulative: number;
  monthlyTotalAtYearEnd: number;
}

export interface Projection {
  policyVersion: number;
  years: ProjectedYear[];
  total: number;
}

export interface ProjectionAnswer {
  start: string;
  years: number;
  ingest: { gbPerMonth: number; measured: boolean };
  archive: { bytes: number };
  comparison: { current: Projection; proposed: Projection; difference: { year: number; yearTotal: number; cumulative: number }[]; totalDifference: number };
}

export interface DispositionRun {
  id: string;
  status: string;
  evaluatedAt: string;
  policyVersion: number;
  summary?: { eligible: number; examined: number; spared: number; instances: number; bytes: number; bytesByTier: Record<string, number>; monthlySavingUsd: number };
}
