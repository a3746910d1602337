/**
 * The scheduled fixity sweep (docs/dr.md): every run re-hashes the next studies of a tenant
 * from where the previous run stopped, up to a budget of instances, so the whole archive is
 * verified once per cycle and the cycles repeat. The position and the cycle's totals are kept
 * in the index between runs (adapters/fixity/sweep-cursor.ts). Pure: the caller reads, hashes
 * and stores.
 */

export interface FixityCounts {
  studies: number;
  verified: number;
  /** Instances whose bytes no longer match the SHA-256 recorded at ingest. */
  mismatched: number;
  /** Instances the index knows whose object is gone. */
  missing: number;
  /** Instances in an archive tier: counted, not read (a sweep never pays for a restore). */
  cold: number;
  /** Series whose reads kept failing (reported, retried next cycle). */
  unverifiable: number;
}

export const noCounts = (): FixityCounts => ({ studies: 0, verified: 0, mismatched: 0, missing: 0, cold: 0, unverifiable: 0 });

export const addCounts = (a: FixityCounts, b: FixityCounts): FixityCounts => ({
  studies: a.studies + b.studies,
  verified: a.verified + b.verified,
  mismatched: a.mismatched + b.mismatched,
  missing: a.missing + b.missing,
  cold: a.cold + b.cold,
  unverifiable: a.unverifiable + b.unverifiable,
});

/** Instances a sweep looked at, verified or not. */
export const examined = (counts: FixityCounts): number => counts.verified + counts.mismatched + counts.missing + counts.cold;

export interface SweepPosition {
  /** The cycle under way, from 1. */
  cycle: number;
  cycleStartedAt: string;
  /** The study cursor (gsi3) after the last study verified; absent at a cycle's start. */
  cursor?: string | undefined;
  /** This cycle's totals so far. */
  counts: FixityCounts;
  /** The last complete cycle: every instance of the tenant examined once. */
  lastCycle?: { cycle: number; startedAt: string; completedAt: string; counts: FixityCounts } | undefined;
  /** Bumped by every save: a save conditional on it makes two concurrent sweeps of a tenant impossible. */
  revision: number;
}

export const firstPosition = (now: Date): SweepPosition => ({ cycle: 1, cycleStartedAt: now.toISOString(), counts: noCounts(), revision: 0 });

/**
 * The position after a page of studies: further on, or — past the tenant's last study — the
 * cycle closed (its totals kept as the last cycle) and the next one started from the beginning.
 */
export function advancePosition(position: SweepPosition, page: FixityCounts, next: string | undefined, now: Date): SweepPosition {
  const counts = addCounts(position.counts, page);
  if (next !== undefined) return { ...position, cursor: next, counts, revision: position.revision + 1 };
  return {
    cycle: position.cycle + 1,
    cycleStartedAt: now.toISOString(),
    counts: noCounts(),
    lastCycle: { cycle: position.cycle, startedAt: position.cycleStartedAt, completedAt: now.toISOString(), counts },
    revision: position.revision + 1,
  };
}

/** Days for one full cycle: the archive's instances over what one daily run examines. */
export const cycleDays = (instances: number, perRun: number): number => Math.max(1, Math.ceil(instances / perRun));
