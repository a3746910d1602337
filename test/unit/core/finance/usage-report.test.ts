import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICES as P } from '#core/finance/price-table.ts';
import { opexReport, parseOpexQuery } from '#core/finance/report.ts';
import { COUNTERS, deleted, ingested, restoreCompleted, restoredCopyGone, tierChanged, type CounterRow, type UsageDelta } from '#core/finance/usage.ts';
import { BYTES_PER_GB as GB, monthOf } from '#core/finance/units.ts';

/** What the adapter's ADD updates make of deltas: month rows and balances. */
function fold(deltas: UsageDelta[]): { months: CounterRow[]; balances: CounterRow[] } {
  const months = new Map<string, CounterRow>();
  const balances = new Map<string, CounterRow>();
  const blank = (d: UsageDelta, month?: string) => ({ tenant: d.tenant, tier: d.tier, modality: d.modality, ...(month ? { month } : {}), ...Object.fromEntries(COUNTERS.map((c) => [c, 0])) }) as CounterRow;
  for (const d of deltas) {
    const m = monthOf(d.at);
    const row = months.get(`${m}|${d.tenant}|${d.tier}|${d.modality}`) ?? blank(d, m);
    const bal = balances.get(`${d.tenant}|${d.tier}|${d.modality}`) ?? blank(d);
    for (const [name, value] of Object.entries(d.counters)) {
      row[name as keyof typeof d.counters] += value!;
      if (['objects', 'bytes', 'billable'].includes(name)) bal[name as 'objects'] += value!;
    }
    months.set(`${m}|${d.tenant}|${d.tier}|${d.modality}`, row);
    balances.set(`${d.tenant}|${d.tier}|${d.modality}`, bal);
  }
  return { months: [...months.values()], balances: [...balances.values()] };
}

const ct = { tenant: 'a', modality: 'CT', size: GB };

describe('usage counters', () => {
  it('count an ingest as one object on Standard, one PUT, and its byte-hours to the month end', () => {
    const [d] = ingested(ct, '2026-03-16T00:00:00.000Z');
    expect(d).toMatchObject({ tier: 'STANDARD', modality: 'CT', counters: { objects: 1, bytes: GB, billable: GB, byteHours: GB * 384, objectHours: 384, puts: 1, ingestedBytes: GB } });
    expect(ingested({ ...ct, size: 1000, modality: '' }, '2026-03-16T00:00:00.000Z')[0]).toMatchObject({ modality: 'UNKNOWN', counters: { smallIngestedObjects: 1 } });
  });

  it('move a tier change from one tier to the other with one transition request, and bill the minimum of a tier left early', () => {
    const [out, into] = tierChanged({ ...ct, size: 1000 }, 'STANDARD_IA', 'GLACIER_IR', '2026-03-01T00:00:00.000Z', '2026-03-21T00:00:00.000Z');
    expect(out).toMatchObject({ tier: 'STANDARD_IA', counters: { objects: -1, bytes: -1000, billable: -131072, earlyByteHours: 131072 * 10 * 24 } });
    expect(into).toMatchObject({ tier: 'GLACIER_IR', counters: { objects: 1, bytes: 1000, billable: 131072, transitionsIn: 1 } });
    expect(tierChanged(ct, 'STANDARD', 'STANDARD_IA', '2026-03-01T00:00:00.000Z', '2026-03-31T00:00:00.000Z')[0]!.counters.earlyByteHours).toBeUndefined();
  });

  it('count a restored copy as RESTORED bytes with its retrieval at the archive tier, and a delete out with its copy', () => {
    const [copy, retrieval] = restoreCompleted(ct, 'DEEP_ARCHIVE', '2026-03-10T00:00:00.000Z');
    expect(copy).toMatchObject({ tier: 'RESTORED', counters: { objects: 1, bytes: GB } });
    expect(retrieval).toMatchObject({ tier: 'DEEP_ARCHIVE', counters: { retrievalBytes: GB, retrievalRequests: 1 } });
    expect(restoredCopyGone(ct, '2026-03-12T00:00:00.000Z')[0]).toMatchObject({ tier: 'RESTORED', counters: { objects: -1 } });
    const gone = deleted(ct, 'DEEP_ARCHIVE', '2025-01-01T00:00:00.000Z', '2026-03-12T00:00:00.000Z', true);
    expect(gone.map((d) => [d.tier, d.counters.objects, d.counters.earlyByteHours])).toEqual([['DEEP_ARCHIVE', -1, undefined], ['RESTORED', -1, undefined]]);
  });
});

describe('the OpEx report', () => {
  // 1 GiB of CT ingested on 16 March, to Standard-IA on 15 April, deleted on 1 May (16 days into IA's 30).
  const deltas = [
    ...ingested(ct, '2026-03-16T00:00:00.000Z'),
    ...tierChanged(ct, 'STANDARD', 'STANDARD_IA', '2026-03-16T00:00:00.000Z', '2026-04-15T00:00:00.000Z'),
    ...deleted(ct, 'STANDARD_IA', '2026-04-15T00:00:00.000Z', '2026-05-01T00:00:00.000Z', false),
  ];
  const { months, balances } = fold(deltas);

  it('bills each month the byte-hours held, the requests and the early deletion, by hand', () => {
    const report = opexReport(parseOpexQuery({ from: '2026-03', to: '2026-05', groupBy: 'tier' }, '2026-05'), balances, months, '2026-05', P);
    const row = (month: string, tier: string) => report.rows.find((r) => r.month === month && r.tier === tier);
    expect(row('2026-03', 'STANDARD')!.gbMonths).toBeCloseTo(384 / 744, 12);
    expect(row('2026-03', 'STANDARD')!.cost.storage).toBeCloseTo((384 / 744) * 0.023, 12);
    expect(row('2026-03', 'STANDARD')!.cost.requests).toBeCloseTo(0.005 / 1000, 12);
    expect(row('2026-03', 'STANDARD')!.bytes).toBe(GB);
    expect(row('2026-04', 'STANDARD')!.cost.storage).toBeCloseTo((336 / 720) * 0.023, 12);
    expect(row('2026-04', 'STANDARD_IA')!.cost.storage).toBeCloseTo((384 / 720) * 0.0125, 12);
    expect(row('2026-04', 'STANDARD_IA')!.cost.requests).toBeCloseTo(0.01 / 1000, 12);
    expect(row('2026-04', 'STANDARD_IA')!.bytes).toBe(GB);
    // May: nothing held, 14 days of IA's minimum billed at its rate in a 31-day month
    expect(row('2026-05', 'STANDARD_IA')!.cost.earlyDeletion).toBeCloseTo(((14 * 24) / 744) * 0.0125, 12);
    expect(row('2026-05', 'STANDARD_IA')!.bytes).toBe(0);
    const total = (384 / 744) * 0.023 + 0.005 / 1000 + (336 / 720) * 0.023 + (384 / 720) * 0.0125 + 0.01 / 1000 + ((14 * 24) / 744) * 0.0125;
    expect(report.totals.total).toBeCloseTo(total, 12);
  });

  it('starts a later month from the balance held now minus the changes since (no earlier rows read)', () => {
    const april = fold(deltas.filter((d) => d.at >= '2026-04')).months;
    const report = opexReport(parseOpexQuery({ from: '2026-04', to: '2026-04', groupBy: 'tier' }, '2026-05'), balances, april, '2026-05', P);
    expect(report.rows.find((r) => r.tier === 'STANDARD')!.cost.storage).toBeCloseTo((336 / 720) * 0.023, 12);
  });

  it('groups by tenant and modality, and refuses a bad query with a reason', () => {
    const other = fold([...deltas, ...ingested({ tenant: 'b', modality: 'MR', size: 2 * GB }, '2026-03-01T00:00:00.000Z')]);
    const report = opexReport(parseOpexQuery({ from: '2026-03', to: '2026-03', groupBy: 'tenant,modality' }, '2026-05'), other.balances, other.months, '2026-05', P);
    expect(report.rows.map((r) => [r.tenant, r.modality, r.bytes])).toEqual([['a', 'CT', GB], ['b', 'MR', 2 * GB]]);
    expect(() => parseOpexQuery({ groupBy: 'tier,colour' }, '2026-05')).toThrow(/groupBy takes tier, tenant, modality \(not colour\)/);
    expect(() => parseOpexQuery({ from: '2026-13' }, '2026-05')).toThrow(/from must be a month/);
    expect(() => parseOpexQuery({ from: '2026-05', to: '2026-04' }, '2026-05')).toThrow(/after/);
  });
});
