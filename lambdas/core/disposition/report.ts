/**
 * The disposition report: one row per study a run examined that is either eligible (with the
 * rule) or spared by a safety net (with why), and the summary an administrator approves:
 * counts, bytes per tier and the monthly saving. Rendered as JSON and CSV (RFC 4180).
 */
import type { Category, RetentionVerdict, SafetyNet } from './retention.ts';

export interface ReportRow {
  study: string;
  outcome: 'eligible' | 'spared';
  /** The retention rule (eligible, or spared by a floor after the rule's period). */
  rule?: string | undefined;
  jurisdiction?: string | undefined;
  category?: Category | undefined;
  safetyNet?: SafetyNet | undefined;
  reason?: string | undefined;
  holdIds?: string[] | undefined;
  studyDate?: string | undefined;
  retainUntil?: string | undefined;
  instances: number;
  bytes: number;
  /** Bytes per storage class. */
  tiers: Record<string, number>;
  monthlyCost: number;
}

export interface ReportSummary {
  policyVersion: number;
  evaluatedAt: string;
  /** Studies old enough to be examined (their study date before the shortest retention). */
  examined: number;
  eligible: number;
  spared: number;
  /** Examined, not eligible yet, no safety net needed. */
  retained: number;
  sparedBy: Partial<Record<SafetyNet, number>>;
  instances: number;
  bytesByTier: Record<string, number>;
  studiesByTier: Record<string, number>;
  bytes: number;
  monthlySavingUsd: number;
  priceSource: string;
}

export function rowOf(study: string, verdict: RetentionVerdict, facts: { studyDate?: string | undefined }, storage: { instances: number; tiers: Record<string, number>; monthlyCost: number }): ReportRow | undefined {
  if (verdict.outcome === 'retained') return undefined;
  const bytes = Object.values(storage.tiers).reduce((sum, n) => sum + n, 0);
  const base = { study, studyDate: facts.studyDate, instances: storage.instances, bytes, tiers: storage.tiers, monthlyCost: storage.monthlyCost };
  if (verdict.outcome === 'eligible') {
    return { ...base, outcome: 'eligible', rule: verdict.rule, jurisdiction: verdict.jurisdiction, category: verdict.category, retainUntil: verdict.retainUntil };
  }
  return { ...base, outcome: 'spared', safetyNet: verdict.safetyNet, reason: verdict.reason, rule: verdict.rule, category: verdict.category, retainUntil: verdict.retainUntil, holdIds: verdict.holdIds };
}

export function summarize(rows: readonly ReportRow[], context: { policyVersion: number; evaluatedAt: string; examined: number; retained: number; priceSource: string }): ReportSummary {
  const eligible = rows.filter((r) => r.outcome === 'eligible');
  const bytesByTier: Record<string, number> = {};
  const studiesByTier: Record<string, number> = {};
  const sparedBy: Partial<Record<SafetyNet, number>> = {};
  for (const row of eligible) {
    for (const [tier, bytes] of Object.entries(row.tiers)) {
      bytesByTier[tier] = (bytesByTier[tier] ?? 0) + bytes;
      studiesByTier[tier] = (studiesByTier[tier] ?? 0) + 1;
    }
  }
  for (const row of rows) if (row.safetyNet) sparedBy[row.safetyNet] = (sparedBy[row.safetyNet] ?? 0) + 1;
  return {
    policyVersion: context.policyVersion,
    evaluatedAt: context.evaluatedAt,
    examined: context.examined,
    eligible: eligible.length,
    spared: rows.length - eligible.length,
    retained: context.retained,
    sparedBy,
    instances: eligible.reduce((sum, r) => sum + r.instances, 0),
    bytesByTier,
    studiesByTier,
    bytes: eligible.reduce((sum, r) => sum + r.bytes, 0),
    // Cents: a saving is stated to the cent, not to float noise.
    monthlySavingUsd: Math.round(eligible.reduce((sum, r) => sum + r.monthlyCost, 0) * 100) / 100,
    priceSource: context.priceSource,
  };
}

const CSV_COLUMNS = ['study', 'outcome', 'rule', 'jurisdiction', 'category', 'safety_net', 'reason', 'hold_ids', 'study_date', 'retain_until', 'instances', 'bytes'] as const;

function csvField(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  // RFC 4180 quoting; a leading = + - @ is neutralised so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function reportCsv(rows: readonly ReportRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push([r.study, r.outcome, r.rule, r.jurisdiction, r.category, r.safetyNet, r.reason, r.holdIds?.join(' '), r.studyDate, r.retainUntil, r.instances, r.bytes].map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
