/**
 * How long a simulated restore takes and what S3 says about it. Delays are the upper ends of
 * the ranges AWS documents (S3 User Guide, "Understanding archive retrieval options"):
 * GLACIER Expedited 1–5 min, Standard 3–5 h, Bulk 5–12 h; DEEP_ARCHIVE Standard ≤ 12 h,
 * Bulk ≤ 48 h, Expedited not offered. Time is the local clock's, so `npm run clock -- +5h`
 * completes a Standard restore.
 */
import type { ObjectVersion, RestoreState, RestoreTier } from './object-state.ts';
import { ARCHIVE_CLASSES, RESTORE_DELAY_MS } from '#core/restores/restore-tiers.ts';

const DAY = 24 * 3_600_000;

// One table of delays: the simulator takes as long as Strata tells clients to wait.
export { ARCHIVE_CLASSES };

export function restoreDelayMs(storageClass: string, tier: RestoreTier): number | undefined {
  return RESTORE_DELAY_MS[storageClass]?.[tier];
}

export function planRestore(storageClass: string, tier: RestoreTier, days: number, now: Date): RestoreState {
  const delay = restoreDelayMs(storageClass, tier);
  if (delay === undefined) throw new Error(`${tier} retrieval is not available for ${storageClass}`);
  const readyAt = new Date(now.getTime() + delay);
  return {
    tier,
    days,
    requestedAt: now.toISOString(),
    readyAt: readyAt.toISOString(),
    expiresAt: new Date(readyAt.getTime() + days * DAY).toISOString(),
    sourceStorageClass: storageClass,
  };
}

export type RestorePhase = 'none' | 'ongoing' | 'restored' | 'expired';

export function restorePhase(restore: RestoreState | undefined, now: Date): RestorePhase {
  if (!restore) return 'none';
  const t = now.getTime();
  if (t < Date.parse(restore.readyAt)) return 'ongoing';
  if (t < Date.parse(restore.expiresAt)) return 'restored';
  return 'expired';
}

/** The `x-amz-restore` header S3 returns on HEAD/GET, or undefined when none applies. */
export function restoreHeader(state: Pick<ObjectVersion, 'restore'>, now: Date): string | undefined {
  const phase = restorePhase(state.restore, now);
  if (phase === 'ongoing') return 'ongoing-request="true"';
  if (phase === 'restored') {
    return `ongoing-request="false", expiry-date="${new Date(state.restore!.expiresAt).toUTCString()}"`;
  }
  return undefined;
}

/** Can GET read the bytes of an object in `storageClass` now? */
export function isReadable(storageClass: string | undefined, state: Pick<ObjectVersion, 'restore'>, now: Date): boolean {
  if (!storageClass || !ARCHIVE_CLASSES.has(storageClass)) return true;
  return restorePhase(state.restore, now) === 'restored';
}
