/**
 * S3 restore tiers and how long each takes (S3 User Guide, "Understanding archive retrieval
 * options"; the upper end of each range, so an estimate is never optimistic):
 * GLACIER Expedited 1–5 min, Standard 3–5 h, Bulk 5–12 h; DEEP_ARCHIVE Standard ≤ 12 h,
 * Bulk ≤ 48 h, Expedited not offered. GLACIER_IR and warmer classes need no restore.
 */
export type RestoreTier = 'Expedited' | 'Standard' | 'Bulk';

export const RESTORE_TIERS: readonly RestoreTier[] = ['Expedited', 'Standard', 'Bulk'];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The classes whose bytes S3 refuses to GET until a restore completes. */
export const ARCHIVE_CLASSES: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE']);

export const RESTORE_DELAY_MS: Readonly<Record<string, Partial<Record<RestoreTier, number>>>> = {
  GLACIER: { Expedited: 5 * MINUTE, Standard: 5 * HOUR, Bulk: 12 * HOUR },
  DEEP_ARCHIVE: { Standard: 12 * HOUR, Bulk: 48 * HOUR },
};

export const isRestoreTier = (value: unknown): value is RestoreTier => RESTORE_TIERS.includes(value as RestoreTier);

/**
 * The tier an object of `storageClass` is actually restored with when `tier` is asked for:
 * Expedited does not exist for DEEP_ARCHIVE, whose fastest tier is Standard.
 */
export function tierFor(storageClass: string, tier: RestoreTier): RestoreTier {
  return storageClass === 'DEEP_ARCHIVE' && tier === 'Expedited' ? 'Standard' : tier;
}

/** The longest a restore of objects in `storageClasses` at `tier` takes (ms). */
export function restoreDelayMs(storageClasses: Iterable<string>, tier: RestoreTier): number {
  let longest = 0;
  for (const storageClass of storageClasses) {
    const delay = RESTORE_DELAY_MS[storageClass]?.[tierFor(storageClass, tier)];
    if (delay !== undefined) longest = Math.max(longest, delay);
  }
  return longest;
}
