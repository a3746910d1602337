import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICES as P } from '#core/finance/price-table.ts';
import { ALL_STANDARD, comparePolicies, DAYS_PER_MONTH, healthImagingStorageCost, project } from '#core/finance/projection.ts';
import { BYTES_PER_GB as GB } from '#core/finance/units.ts';
import type { LifecyclePolicy } from '#core/lifecycle/policy.ts';

const TB = 1024 * GB;
const clinical: LifecyclePolicy = {
  version: 7,
  rules: [
    { id: 'mammography', match: { modalities: ['MG'] }, schedule: ['STANDARD 0d', 'STANDARD_IA 60d', 'GLACIER_IR 1y', 'DEEP_ARCHIVE 10y'] },
    { id: 'clinical', match: {}, schedule: ['STANDARD 0d', 'STANDARD_IA 30d', 'GLACIER_IR 90d', 'DEEP_ARCHIVE 3y'] },
  ],
};
const objects = TB / (512 * 1024);
const ctTb = { tenant: 'a', modality: 'CT', bytes: TB, objects, smallBytes: 0, smallObjects: 0 };
const start = '2027-01-01T00:00:00.000Z';

describe('projection', () => {
  it('bills each month the days a cohort spends in each tier of its rule, and its transitions', () => {
    const p = project(clinical, { start, years: 1, archive: [{ ...ctTb, ageDays: 0 }], monthlyIngest: [] }, P);
    const first = p.months[0]!;
    expect(first.byTier.STANDARD).toBeCloseTo(1024 * (30 / DAYS_PER_MONTH) * 0.023, 9);
    expect(first.byTier.STANDARD_IA).toBeCloseTo(1024 * (0.4375 / DAYS_PER_MONTH) * 0.0125 + (objects / 1000) * 0.01, 9);
    expect(first.bytesByTier).toEqual({ STANDARD_IA: TB });
    // month 4 (days 91.3–121.8): all of it on Glacier IR
    expect(p.months[3]!.byTier).toEqual({ GLACIER_IR: expect.closeTo(1024 * 0.004, 9) });
    expect(p.policyVersion).toBe(7);
  });

  it('archives into Deep Archive with the 40 KB overhead per object, and keeps objects under 128 KB on Standard', () => {
    const small = { ...ctTb, bytes: TB + 1000 * 16 * 1024, objects: objects + 1000, smallBytes: 1000 * 16 * 1024, smallObjects: 1000 };
    const p = project(clinical, { start, years: 5, archive: [{ ...small, ageDays: 4 * 365 }], monthlyIngest: [] }, P);
    const month = p.months[0]!;
    const standardGb = (1000 * 16 * 1024 + objects * 8192) / GB;
    expect(month.byTier.DEEP_ARCHIVE).toBeCloseTo(1024 * 0.00099 + ((objects * 32768) / GB) * 0.00099 + ((objects * 8192) / GB) * 0.023, 9);
    expect(month.byTier.STANDARD).toBeCloseTo(standardGb * 0.023 - ((objects * 8192) / GB) * 0.023, 9);
    expect(month.bytesByTier).toEqual({ DEEP_ARCHIVE: TB, STANDARD: 1000 * 16 * 1024 });
  });

  it('places cohorts by modality, adds a monthly ingest with its PUTs, and sums years', () => {
    const mg = { ...ctTb, modality: 'MG' };
    const p = project(clinical, { start, years: 2, archive: [{ ...mg, ageDays: 40 }], monthlyIngest: [ctTb] }, P);
    // the mammograms are still on Standard in month 1 (IA at 60 d), the new CT too (mid-month)
    expect(Object.keys(p.months[0]!.byTier)).toEqual(['STANDARD', 'STANDARD_IA']);
    expect(p.months[0]!.bytesByTier).toEqual({ STANDARD: TB, STANDARD_IA: TB });
    expect(p.years).toHaveLength(2);
    expect(p.years[1]!.cumulative).toBeCloseTo(p.months.reduce((s, m) => s + m.total, 0), 6);
    expect(p.total).toBe(p.years[1]!.cumulative);
  });

  it('compares two policies: the difference in dollars per year and in all', () => {
    const c = comparePolicies(ALL_STANDARD, clinical, { start, years: 10, archive: [{ ...ctTb, ageDays: 0 }], monthlyIngest: [] }, P);
    expect(c.current.total).toBeCloseTo(120 * 1024 * 0.023, 6);
    expect(c.totalDifference).toBeCloseTo(c.proposed.total - c.current.total, 9);
    expect(c.totalDifference).toBeLessThan(-2000);
    expect(c.difference[9]!.cumulative).toBeCloseTo(c.totalDifference, 6);
  });

  it('prices HealthImaging: 30 days of Frequent Access, then Archive Instant Access', () => {
    expect(healthImagingStorageCost(TB, 120, P)).toBeCloseTo(1024 * ((30 / DAYS_PER_MONTH) * 0.105 + (120 - 30 / DAYS_PER_MONTH) * 0.006), 9);
  });
});
