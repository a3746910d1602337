/**
 * The local runtime's adjustable clock: real time plus an offset that only moves forward.
 * `npm run clock -- +400d` advances it; lifecycle, retention and restore simulations read it.
 * The offset is persisted in the data directory so a restart keeps "simulated today".
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '#adapters/clock.ts';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `+400d`, `+5h`, `+90m`, `+1d12h` → milliseconds; anything else is an error. */
export function parseDuration(spec: string): number {
  const match = /^\+?((?:\d+(?:\.\d+)?[smhdw])+)$/.exec(spec.trim());
  if (!match?.[1]) throw new Error(`not a duration: "${spec}" (expected e.g. +400d, +5h, +1d12h)`);
  let total = 0;
  for (const [, amount, unit] of match[1].matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) {
    total += Number(amount) * UNIT_MS[unit as string]!;
  }
  return Math.round(total);
}

export class LocalClock implements Clock {
  private offsetMs = 0;
  private readonly listeners = new Set<() => void>();
  private readonly file: string | undefined;

  constructor(dataDir?: string) {
    this.file = dataDir ? join(dataDir, 'clock.json') : undefined;
    if (this.file && existsSync(this.file)) {
      this.offsetMs = Number(JSON.parse(readFileSync(this.file, 'utf8')).offsetMs) || 0;
    }
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  get offset(): number {
    return this.offsetMs;
  }

  /** Moves simulated time forward; time never goes back, as in AWS. */
  advance(ms: number): Date {
    if (!(ms >= 0)) throw new Error('the clock only moves forward');
    this.offsetMs += ms;
    this.persist();
    for (const listener of this.listeners) listener();
    return this.now();
  }

  /** Jumps to an absolute instant (must not be in the simulated past). */
  advanceTo(instant: Date): Date {
    return this.advance(instant.getTime() - this.now().getTime());
  }

  onAdvance(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private persist(): void {
    if (this.file) writeFileSync(this.file, JSON.stringify({ offsetMs: this.offsetMs }));
  }
}
