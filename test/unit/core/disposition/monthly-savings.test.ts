import { describe, expect, it } from 'vitest';
import { monthlyStorageCost } from '#core/disposition/monthly-savings.ts';

const GB = 2 ** 30;

describe('monthly saving of deleted objects (the cost model stand-in)', () => {
  it('a GB on Standard is $0.023 a month; on Deep Archive $0.00099 plus per-object overheads', () => {
    expect(monthlyStorageCost([{ bytes: GB, tier: 'STANDARD' }])).toBeCloseTo(0.023, 6);
    expect(monthlyStorageCost([{ bytes: GB, tier: 'DEEP_ARCHIVE' }])).toBeCloseTo((GB + 32768) / GB * 0.00099 + 8192 / GB * 0.023, 9);
  });

  it('IA and Glacier IR bill small objects as 128 KB', () => {
    expect(monthlyStorageCost([{ bytes: 1000, tier: 'STANDARD_IA' }])).toBeCloseTo(131072 / GB * 0.0125, 12);
    expect(monthlyStorageCost([{ bytes: 1000, tier: 'GLACIER_IR' }])).toBeCloseTo(131072 / GB * 0.004, 12);
  });

  it('sums objects, and an unknown class costs as Standard', () => {
    const one = monthlyStorageCost([{ bytes: 5 * GB, tier: 'STANDARD' }]);
    expect(monthlyStorageCost([{ bytes: 5 * GB, tier: 'STANDARD' }, { bytes: 5 * GB, tier: 'WHATEVER' }])).toBeCloseTo(2 * one, 9);
    expect(monthlyStorageCost([])).toBe(0);
  });
});
