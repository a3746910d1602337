/** The model's month beside Cost Explorer's (core/finance/reconcile.ts), on a small worked case. */
import { describe, expect, it } from 'vitest';
import { lineOfUsageType, reconcile } from '#core/finance/reconcile.ts';
import type { OpexRow } from '#core/finance/report.ts';

const row = (tier: NonNullable<OpexRow['tier']>, cost: Partial<OpexRow['cost']>, month = '2026-11'): OpexRow => {
  const lines = { storage: 0, overhead: 0, earlyDeletion: 0, requests: 0, retrieval: 0, ...cost };
  return { month, tier, objects: 1, bytes: 1, gbMonths: 1, cost: { ...lines, total: Object.values(lines).reduce((a, b) => a + b, 0) } };
};

describe('Reconciling the model with Cost Explorer', () => {
  it('sorts usage types, with or without a Region prefix, into what the model prices', () => {
    expect(lineOfUsageType('TimedStorage-ByteHrs')).toEqual({ tier: 'STANDARD' });
    expect(lineOfUsageType('EU-TimedStorage-ByteHrs')).toEqual({ tier: 'STANDARD' });
    expect(lineOfUsageType('EU-TimedStorage-SIA-SmObjects')).toEqual({ tier: 'STANDARD_IA' });
    expect(lineOfUsageType('TimedStorage-GIR-ByteHrs')).toEqual({ tier: 'GLACIER_IR' });
    expect(lineOfUsageType('USE2-TimedStorage-GlacierStaging')).toEqual({ tier: 'GLACIER' });
    expect(lineOfUsageType('TimedStorage-GDA-Staging')).toEqual({ tier: 'DEEP_ARCHIVE' });
    expect(lineOfUsageType('TimedStorage-INT-FA-ByteHrs')).toEqual({ tier: 'INTELLIGENT_TIERING' });
    // Tier3 bills lifecycle transitions to Glacier and Deep Archive together with standard Glacier
    // restore requests: the transitions dominate, so it stays a request line (docs/finance.md).
    expect(lineOfUsageType('Requests-Tier3')).toEqual({ line: 'requests' });
    expect(lineOfUsageType('Requests-Tier4')).toEqual({ line: 'requests' }); // transitions to IA, GIR, IT
    // Restore requests only: bulk and expedited Glacier, standard and bulk Deep Archive — the model's retrieval.
    for (const restore of ['Requests-Tier5', 'Requests-Tier6', 'EU-Requests-Tier6', 'Requests-GDA-Tier3', 'USE2-Requests-GDA-Tier5']) {
      expect(lineOfUsageType(restore)).toEqual({ line: 'retrieval' });
    }
    expect(lineOfUsageType('APS3-Requests-GDA-Tier1')).toEqual({ line: 'requests' });
    expect(lineOfUsageType('Retrieval-SIA')).toEqual({ line: 'retrieval' });
    expect(lineOfUsageType('Standard-Retrieval-Bytes')).toEqual({ line: 'retrieval' });
    expect(lineOfUsageType('EarlyDelete-GDA')).toEqual({ line: 'earlyDeletion' });
    expect(lineOfUsageType('DataTransfer-Out-Bytes')).toBeUndefined();
  });

  it('sets each class, each charge and the total beside the bill, to the cent, and lists what the model does not price', () => {
    const model = [
      row('STANDARD', { storage: 23, requests: 0.5 }),
      row('RESTORED', { storage: 0.1 }),
      row('DEEP_ARCHIVE', { storage: 0.99, overhead: 0.3, requests: 0.05 }),
      row('STANDARD', { storage: 99 }, '2026-10'), // another month: not this one's
    ];
    const billed = [
      { usageType: 'TimedStorage-ByteHrs', usd: 23.4 },
      { usageType: 'TimedStorage-GDA-ByteHrs', usd: 0.99 },
      { usageType: 'TimedStorage-GDA-Staging', usd: 0.29 },
      { usageType: 'Requests-Tier1', usd: 0.45 },
      { usageType: 'Requests-Tier3', usd: 0.05 },
      { usageType: 'DataTransfer-Out-Bytes', usd: 1.2 },
      { usageType: 'Inventory-ObjectsListed', usd: 0 },
    ];
    const result = reconcile('2026-11', model, billed);
    expect(result.storage).toEqual({
      // Restored copies of archived bytes are Standard storage on the bill.
      STANDARD: { modelled: 23.1, billed: 23.4, difference: 0.3, relative: 0.0128 },
      DEEP_ARCHIVE: { modelled: 1.29, billed: 1.28, difference: -0.01, relative: -0.0078 },
    });
    expect(result.lines).toEqual({
      requests: { modelled: 0.55, billed: 0.5, difference: -0.05, relative: -0.1 },
      retrieval: { modelled: 0, billed: 0, difference: 0, relative: null },
      earlyDeletion: { modelled: 0, billed: 0, difference: 0, relative: null },
    });
    expect(result.total).toEqual({ modelled: 24.94, billed: 25.18, difference: 0.24, relative: 0.0095 });
    expect(result.notModelled).toEqual([{ usageType: 'DataTransfer-Out-Bytes', usd: 1.2 }]);
  });
});
