/** The DR audit's per-study comparison and the restore header the rebuild reads (lambdas/core/dr/). */
import { describe, expect, it } from 'vitest';
import { compareStudy } from '#core/dr/replica-audit.ts';
import { restoredUntil } from '#core/dr/restore-header.ts';

const now = new Date('2026-01-01T12:00:00Z');
const version = (key: string, sha256: string, minutesAgo: number) => ({ key, sha256, ingestedAt: new Date(now.getTime() - minutesAgo * 60_000).toISOString() });

describe('compareStudy', () => {
  it('sorts every version into exactly one finding and measures the oldest unreplicated age', () => {
    const result = compareStudy(
      [version('a', '01', 60), version('b', '02', 30), version('c', '03', 5), version('d', '04', 1)],
      [
        { key: 'a', sha256: '01' },
        { key: 'b', sha256: 'ff' },
        { key: 'x', sha256: '09' },
      ],
      now,
      600,
    );
    expect(result).toEqual({
      missing: [],
      pending: ['c', 'd'],
      mismatched: [{ key: 'b', recorded: '02', replica: 'ff' }],
      unmatched: ['x'],
      confirmed: [version('a', '01', 60)],
      oldestUnreplicatedSeconds: 300,
    });
  });

  it('calls a version missing once it is older than the grace period, and a replica without checksum a mismatch', () => {
    const result = compareStudy([version('a', '01', 20), version('b', '02', 20)], [{ key: 'b', sha256: undefined }], now, 600);
    expect(result.missing).toEqual([{ key: 'a', ageSeconds: 1200 }]);
    expect(result.mismatched).toEqual([{ key: 'b', recorded: '02', replica: undefined }]);
    expect(result.oldestUnreplicatedSeconds).toBe(1200);
  });
});

describe('restoredUntil', () => {
  it('reads the expiry of a finished restore only', () => {
    expect(restoredUntil('ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"')).toBe('2012-12-21T00:00:00.000Z');
    expect(restoredUntil('ongoing-request="true"')).toBeUndefined();
    expect(restoredUntil(undefined)).toBeUndefined();
    expect(restoredUntil('ongoing-request="false", expiry-date="not a date"')).toBeUndefined();
  });
});
