import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClockRangeError, LATEST_SIMULATED_TIME, LocalClock, parseDuration } from '#infra/local/clock.ts';

describe('Local clock', () => {
  it('parses durations in s, m, h, d and w, alone or combined', () => {
    expect(parseDuration('+400d')).toBe(400 * 86_400_000);
    expect(parseDuration('5h')).toBe(5 * 3_600_000);
    expect(parseDuration('+1d12h')).toBe(36 * 3_600_000);
    expect(parseDuration('+2y')).toBe(2 * 365 * 86_400_000); // a lifecycle year: 365 days
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

describe('Local clock: refusals change nothing', () => {
  it('refuses an advance past year 9999, keeping the offset in memory and on disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clock-'));
    const clock = new LocalClock(dir);
    clock.advance(parseDuration('+1d'));
    const saved = readFileSync(join(dir, 'clock.json'), 'utf8');
    expect(() => clock.advance(parseDuration('+99999999999d'))).toThrow(ClockRangeError);
    expect(() => clock.advanceTo(new Date('+275760-01-01T00:00:00Z'))).toThrow(ClockRangeError);
    expect(() => clock.advanceTo(new Date('not a date'))).toThrow(ClockRangeError);
    expect(clock.offset).toBe(86_400_000);
    expect(readFileSync(join(dir, 'clock.json'), 'utf8')).toBe(saved);
    expect(() => clock.now().toISOString()).not.toThrow();
  });

  it('accepts the latest simulated instant itself, and nothing after it', () => {
    const clock = new LocalClock();
    clock.advanceTo(new Date(LATEST_SIMULATED_TIME - 60_000));
    expect(() => clock.advance(120_000)).toThrow(/cannot pass 9999-12-31/);
    expect(clock.now().getTime()).toBeLessThanOrEqual(LATEST_SIMULATED_TIME);
  });

  it('refuses over-long duration specs without echoing them whole', () => {
    expect(() => parseDuration(`+${'9'.repeat(10_000)}d`)).toThrow(/not a duration/);
  });

  for (const [name, content] of [
    ['an offset past year 9999', JSON.stringify({ offsetMs: 8.64e21 })],
    ['a negative offset', JSON.stringify({ offsetMs: -5 })],
    ['a truncated file', '{"offsetMs": 12'],
    ['JSON null', 'null'],
  ] as const) {
    it(`starts at real time from a saved clock with ${name}, moving the file aside and warning`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'clock-'));
      writeFileSync(join(dir, 'clock.json'), content);
      const warnings: string[] = [];
      const clock = new LocalClock(dir, (message) => warnings.push(message));
      expect(clock.offset).toBe(0);
      expect(warnings.join()).toMatch(/not usable.*clock\.json\.rejected/);
      expect(readFileSync(join(dir, 'clock.json.rejected'), 'utf8')).toBe(content);
      expect(existsSync(join(dir, 'clock.json'))).toBe(false);
      clock.advance(1_000);
      expect(new LocalClock(dir, () => {}).offset).toBe(1_000);
    });
  }
});
