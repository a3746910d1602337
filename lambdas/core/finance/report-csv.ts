/** The OpEx report as CSV (RFC 4180; cells escaped as the audit export does): one row per month and group. */
import { cell } from '#core/audit/csv.ts';
import type { CostLines, OpexReport } from './report.ts';

const COSTS: readonly (keyof CostLines)[] = ['storage', 'overhead', 'earlyDeletion', 'requests', 'retrieval', 'total'];
/** Dollars to a millionth: small archives' lines are fractions of a cent. */
export const dollars = (value: number): number => Math.round(value * 1e6) / 1e6;

export function opexCsv(report: OpexReport): string {
  const header = ['month', ...report.groupBy, 'objects', 'bytes', 'gbMonths', ...COSTS.map((c) => `${c}${report.currency}`)];
  const lines = report.rows.map((row) =>
    [row.month, ...report.groupBy.map((d) => row[d]), row.objects, row.bytes, dollars(row.gbMonths), ...COSTS.map((c) => dollars(row.cost[c]))].map((v) => cell(v)).join(','),
  );
  return `${[header.join(','), ...lines].join('\r\n')}\r\n`;
}
