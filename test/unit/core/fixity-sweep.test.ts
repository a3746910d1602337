/** The fixity sweep's position between runs (core/fixity/sweep.ts): it moves on, and past the last study closes the cycle and starts the next. */
import { describe, expect, it } from 'vitest';
import { advancePosition, cycleDays, examined, firstPosition, noCounts } from '#core/fixity/sweep.ts';

const T0 = new Date('2026-01-01T00:00:00Z');
const T1 = new Date('2026-01-02T00:00:00Z');
const page = (verified: number, mismatched = 0) => ({ ...noCounts(), studies: 1, verified, mismatched });

describe('the fixity sweep position', () => {
  it('moves to the next cursor and adds the page to the cycle, one revision further', () => {
    const moved = advancePosition(firstPosition(T0), page(3), 'after-study-1', T1);
    expect(moved).toEqual({ cycle: 1, cycleStartedAt: T0.toISOString(), cursor: 'after-study-1', counts: { ...noCounts(), studies: 1, verified: 3 }, revision: 1 });
  });

  it('past the last study closes the cycle with its totals and starts the next from the beginning', () => {
    const first = advancePosition(firstPosition(T0), page(3), 'c1', T0);
    const closed = advancePosition(first, page(1, 1), undefined, T1);
    expect(closed).toEqual({
      cycle: 2,
      cycleStartedAt: T1.toISOString(),
      counts: noCounts(),
      lastCycle: { cycle: 1, startedAt: T0.toISOString(), completedAt: T1.toISOString(), counts: { ...noCounts(), studies: 2, verified: 4, mismatched: 1 } },
      revision: 2,
    });
    expect(closed.cursor).toBeUndefined();
  });

  it('counts every instance looked at, verified or not, and the days a cycle takes', () => {
    expect(examined({ studies: 9, verified: 1, mismatched: 2, missing: 3, cold: 4, unverifiable: 5 })).toBe(10);
    expect(cycleDays(10_000_000, 350_000)).toBe(29);
    expect(cycleDays(1, 350_000)).toBe(1);
  });
});
