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
