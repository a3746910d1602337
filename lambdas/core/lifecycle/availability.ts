/**
 * InstanceAvailability (0008,0056) from an instance's tier, as QIDO and WADO metadata report
 * it (PS3.3 C.4.23.1.1: ONLINE immediately available; NEARLINE retrieved from slow media;
 * OFFLINE retrieved by manual intervention).
 * - STANDARD, the IA classes, INTELLIGENT_TIERING and GLACIER_IR read in milliseconds: ONLINE.
 * - GLACIER (Flexible Retrieval) needs a restore of minutes to hours: NEARLINE.
 * - DEEP_ARCHIVE needs a restore of up to 48 hours, which no reader waits for: OFFLINE (it
 *   is fetched by a restore request, the nearest thing to "manual intervention" here).
 * A restored copy that has not expired is ONLINE whatever the class.
 */
export type Availability = 'ONLINE' | 'NEARLINE' | 'OFFLINE';

export function instanceAvailability(storageClass: string, restoredUntil: string | undefined, now: Date): Availability {
  if (storageClass !== 'GLACIER' && storageClass !== 'DEEP_ARCHIVE') return 'ONLINE';
  if (restoredUntil !== undefined && Date.parse(restoredUntil) > now.getTime()) return 'ONLINE';
  return storageClass === 'GLACIER' ? 'NEARLINE' : 'OFFLINE';
}

/**
 * What one instance adds to its series' and study's counts of unreadable instances: its tier
 * with restoredness as the index records it (a restored copy's expiry arrives as an event,
 * which removes it), so the counts change only on events, never with the passing of time.
 */
export interface ColdCounts {
  nearline: number;
  offline: number;
}

export function coldContribution(storageClass: string, restored: boolean): ColdCounts {
  if (restored) return { nearline: 0, offline: 0 };
  return { nearline: storageClass === 'GLACIER' ? 1 : 0, offline: storageClass === 'DEEP_ARCHIVE' ? 1 : 0 };
}

/**
 * A study's or series' InstanceAvailability from its counts: the least available of its
 * instances (a study is ONLINE only when every instance can be read now).
 */
export function aggregateAvailability(counts: Partial<ColdCounts>): Availability {
  if ((counts.offline ?? 0) > 0) return 'OFFLINE';
  if ((counts.nearline ?? 0) > 0) return 'NEARLINE';
  return 'ONLINE';
}
