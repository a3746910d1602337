/** The console's figures (scripts/clients/console/src/figures.ts): the API's answers as chart series, unchanged. */
import { describe, expect, it } from 'vitest';
import { dispositionTiers, latestDryRun, projection, tiersThisMonth, topGroups, trend } from '#clients/console/src/figures.ts';
import type { OpexReport, OpexRow, ProjectionAnswer } from '#clients/console/src/shapes.ts';

const cost = (total: number, storage = total) => ({ storage, overhead: 0, earlyDeletion: 0, requests: total - storage, retrieval: 0, total });
const row = (month: string, fields: Partial<OpexRow>, total: number, bytes = 1): OpexRow => ({ month, objects: 1, bytes, gbMonths: 0, cost: cost(total, total / 2), ...fields });
const report = (rows: OpexRow[]): OpexReport => ({ from: '2040-01', to: '2040-03', currency: 'USD', currentMonth: '2040-03', prices: { region: 'us-east-1', asOf: {} }, rows, totals: cost(0) });

describe('The console\'s figures', () => {
  it('shows this month\'s tiers warm to cold, stacked by cost line, with the API\'s totals, and leaves out empty tiers', () => {
    const figure = tiersThisMonth(
      report([
        row('2040-03', { tier: 'DEEP_ARCHIVE' }, 4),
        row('2040-03', { tier: 'STANDARD' }, 10),
        row('2040-03', { tier: 'GLACIER' }, 0, 0),
        row('2040-02', { tier: 'STANDARD_IA' }, 7),
      ]),
    );
    expect(figure.labels).toEqual(['STANDARD', 'DEEP_ARCHIVE']);
    expect(figure.series.find((s) => s.key === 'storage')!.values).toEqual([5, 2]);
    expect(figure.series.find((s) => s.key === 'requests')!.values).toEqual([5, 2]);
    expect(figure.totals).toEqual([10, 4]);
  });

  it('puts every month of the window on the trend, zero where a tier cost nothing', () => {
    const figure = trend(report([row('2040-01', { tier: 'STANDARD' }, 3), row('2040-03', { tier: 'STANDARD' }, 1), row('2040-03', { tier: 'GLACIER_IR' }, 2)]), ['2040-01', '2040-02', '2040-03']);
    expect(figure.series.map((s) => [s.key, s.values])).toEqual([
      ['STANDARD', [3, 0, 1]],
      ['GLACIER_IR', [0, 0, 2]],
    ]);
  });

  it('ranks tenants and modalities by this month\'s cost and keeps the first ten', () => {
    const rows = Array.from({ length: 12 }, (_, i) => row('2040-03', { tenant: `t${i}` }, i + 1));
    const figure = topGroups(report([...rows, row('2040-02', { tenant: 'old' }, 100)]), 'tenant');
    expect(figure.labels).toEqual(['t11', 't10', 't9', 't8', 't7', 't6', 't5', 't4', 't3', 't2']);
    expect(figure.series[0]!.values).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
    expect(topGroups(report([row('2040-03', { modality: 'CT' }, 1)]), 'modality').id).toBe('modalities');
  });

  it('draws both policies year by year and the difference the API computed', () => {
    const answer = {
      comparison: {
        current: { policyVersion: 1, total: 3, years: [{ year: 1, yearTotal: 1, cumulative: 1, monthlyTotalAtYearEnd: 0.1 }, { year: 2, yearTotal: 2, cumulative: 3, monthlyTotalAtYearEnd: 0.2 }] },
        proposed: { policyVersion: 0, total: 9, years: [{ year: 1, yearTotal: 4, cumulative: 4, monthlyTotalAtYearEnd: 0.4 }, { year: 2, yearTotal: 5, cumulative: 9, monthlyTotalAtYearEnd: 0.5 }] },
        difference: [{ year: 1, yearTotal: 3, cumulative: 3 }, { year: 2, yearTotal: 3, cumulative: 6 }],
        totalDifference: 6,
      },
    } as ProjectionAnswer;
    const figure = projection(answer);
    expect(figure.labels).toEqual(['Year 1', 'Year 2']);
    expect(figure.series.map((s) => [s.key, s.values])).toEqual([
      ['current', [1, 2]],
      ['proposed', [4, 5]],
      ['difference', [3, 3]],
    ]);
  });

  it('takes the newest run that has a report as the latest dry run, and its eligible bytes per tier', () => {
    const summary = { eligible: 1, examined: 1, spared: 0, instances: 1, bytes: 30, bytesByTier: { DEEP_ARCHIVE: 10, STANDARD: 20 }, monthlySavingUsd: 0.5 };
    const runs = [
      { id: 'disp-2', status: 'EVALUATING', evaluatedAt: '2', policyVersion: 1 },
      { id: 'disp-1', status: 'AWAITING_APPROVAL', evaluatedAt: '1', policyVersion: 1, summary },
    ];
    const run = latestDryRun(runs)!;
    expect(run.id).toBe('disp-1');
    expect(latestDryRun([runs[0]!])).toBeUndefined();
    const figure = dispositionTiers(run);
    expect(figure.labels).toEqual(['STANDARD', 'DEEP_ARCHIVE']);
    expect(figure.series[0]!.values).toEqual([20, 10]);
  });
});
