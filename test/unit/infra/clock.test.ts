import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalClock, parseDuration } from '../../../infra/local/clock.ts';

describe('Local clock', () => {
  it('parses durations in s, m, h, d and w, alone or combined', () => {
    expect(parseDuration('+400d')).toBe(400 * 86_400_000);
    expect(parseDuration('5h')).toBe(5 * 3_600_000);
    expect(parseDuration('+1d12h')).toBe(36 * 3_600_000);
    expect(parseDuration('+2w')).toBe(14 * 86_400_000);
  });

  it('rejects what is not a duration', () => {
    expect(() => parseDuration('-3d')).toThrow(/not a duration/);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });

  it('moves only forward and keeps its offset across instances on the same data directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clock-'));
    const clock = new LocalClock(dir);
    const before = clock.now().getTime();
    clock.advance(parseDuration('+400d'));
    expect(clock.now().getTime() - before).toBeGreaterThanOrEqual(400 * 86_400_000);
    expect(() => clock.advance(-1)).toThrow(/forward/);
    expect(new LocalClock(dir).offset).toBe(400 * 86_400_000);
  });

  it('tells listeners when time moves', () => {
    const clock = new LocalClock();
    let calls = 0;
    clock.onAdvance(() => calls++);
    clock.advance(1000);
    expect(calls).toBe(1);
  });
});
