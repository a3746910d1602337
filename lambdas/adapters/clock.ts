/**
 * The time source for everything time-dependent (retention, lifecycle, restore expiry).
 * In AWS it is the system clock. The local runtime installs an adjustable clock here so
 * that `npm run clock -- +400d` moves handlers, the S3 simulation and workflows together.
 * Core code never reads the time itself: handlers pass `clock.now()` in.
 */
export interface Clock {
  now(): Date;
}

const systemClock: Clock = { now: () => new Date() };
let active: Clock = systemClock;

export const clock: Clock = { now: () => active.now() };

/** Used by infra/local only. Passing nothing restores the system clock. */
export function installClock(replacement: Clock = systemClock): void {
  active = replacement;
}
