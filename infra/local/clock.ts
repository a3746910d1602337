/**
 * The local runtime's adjustable clock: real time plus an offset that only moves forward.
 * `npm run clock -- +400d` advances it; lifecycle, retention and restore simulations read it.
 * The offset is persisted in the data directory so a restart keeps "simulated today".
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '#adapters/clock.ts';

/** `y` is 365 days, as in lifecycle policies (policies/lifecycle.yaml). */
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/**
 * The latest simulated instant. Dates are written as ISO 8601 with a four-digit year in keys
 * and DICOM DA/DT values; past year 9999 `toISOString()` switches to `+010000-…`, which sorts
 * and parses wrongly, and past ±8.64e15 ms a Date is invalid and every request would fail.
 */
export const LATEST_SIMULATED_TIME = Date.parse('9999-12-31T23:59:59.999Z');
const LONGEST_DURATION_SPEC = 32;

/** A refused clock change; nothing was changed. */
export class ClockRangeError extends RangeError {
  override name = 'ClockRangeError';
}

/** `+400d`, `+5h`, `+90m`, `+1d12h` → milliseconds; anything else is an error. */
export function parseDuration(spec: string): number {
  const match = spec.length <= LONGEST_DURATION_SPEC ? /^\+?((?:\d+(?:\.\d+)?[smhdwy])+)$/.exec(spec.trim()) : null;
  if (!match?.[1]) throw new ClockRangeError(`not a duration: "${spec.slice(0, LONGEST_DURATION_SPEC)}" (expected e.g. +400d, +5h, +1d12h, +2y)`);
  let total = 0;
  for (const [, amount, unit] of match[1].matchAll(/(\d+(?:\.\d+)?)([smhdwy])/g)) {
    total += Number(amount) * UNIT_MS[unit as string]!;
  }
  return Math.round(total);
}

export class LocalClock implements Clock {
  private offsetMs = 0;
  private readonly listeners = new Set<() => void>();
  private readonly file: string | undefined;

  /**
   * A saved offset that is not a usable one (unreadable, negative, or beyond the latest
   * simulated time) must not keep the runtime from starting: it is moved aside to
   * `clock.json.rejected`, reported through `warn`, and the clock starts at real time.
   */
  constructor(dataDir?: string, warn: (message: string) => void = (message) => console.error(message)) {
    this.file = dataDir ? join(dataDir, 'clock.json') : undefined;
    if (this.file && existsSync(this.file)) {
      const saved = readFileSync(this.file, 'utf8');
      const offset = savedOffset(saved);
      if (offset !== undefined && this.isUsable(offset)) {
        this.offsetMs = offset;
      } else {
        renameSync(this.file, `${this.file}.rejected`);
        warn(`WARNING: the saved clock offset in ${this.file} is not usable (${JSON.stringify(saved.slice(0, 200))}); ` +
          `it was moved to clock.json.rejected and simulated time restarts at real time.`);
      }
    }
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  get offset(): number {
    return this.offsetMs;
  }

  /** Moves simulated time forward; time never goes back, as in AWS. Refused changes change nothing. */
  advance(ms: number): Date {
    if (!(ms >= 0)) throw new ClockRangeError('the clock only moves forward');
    if (!this.isUsable(this.offsetMs + ms)) {
      throw new ClockRangeError(`simulated time cannot pass ${new Date(LATEST_SIMULATED_TIME).toISOString()}`);
    }
    this.offsetMs += ms;
    this.persist();
    for (const listener of this.listeners) listener();
    return this.now();
  }

  /** Jumps to an absolute instant (must not be in the simulated past). */
  advanceTo(instant: Date): Date {
    if (Number.isNaN(instant.getTime())) throw new ClockRangeError('not a date');
    return this.advance(instant.getTime() - this.now().getTime());
  }

  onAdvance(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private isUsable(offset: number): boolean {
    return Number.isSafeInteger(offset) && offset >= 0 && Date.now() + offset <= LATEST_SIMULATED_TIME;
  }

  /** Written aside and renamed, so a crash mid-write never leaves half a file. */
  private persist(): void {
    if (!this.file) return;
    writeFileSync(`${this.file}.tmp`, JSON.stringify({ offsetMs: this.offsetMs }));
    renameSync(`${this.file}.tmp`, this.file);
  }
}

function savedOffset(text: string): number | undefined {
  try {
    const offset = (JSON.parse(text) as { offsetMs?: unknown } | null)?.offsetMs;
    return typeof offset === 'number' ? offset : undefined;
  } catch {
    return undefined;
  }
}
