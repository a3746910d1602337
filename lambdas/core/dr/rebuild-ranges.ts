/**
 * Splitting a parallel index rebuild (docs/dr.md) into key ranges of about equal work: the
 * bucket's keys in listing order, cut only between studies (a study's versions are indexed
 * together, oldest first), so each worker rebuilds whole studies of its own range. Pure: the
 * caller lists the keys.
 */

/** One study as the listing met it: its key prefix, its instance versions, and the key listed just before it. */
export interface StudyExtent {
  prefix: string;
  versions: number;
  /** The last key before the study's first one (any kind of object); undefined for the bucket's first key. */
  keyBefore: string | undefined;
}

/** Keys after `startAfter` (exclusive; undefined: from the first) and before `until` (exclusive; undefined: to the last). */
export interface KeyRange {
  startAfter?: string | undefined;
  until?: string | undefined;
}

/**
 * At most `workers` contiguous ranges covering the whole key space, each cut at a study's
 * prefix so that the versions before each cut are as close as possible to an equal share.
 */
export function rebuildRanges(studies: readonly StudyExtent[], workers: number): KeyRange[] {
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`the number of workers must be a whole number ≥ 1, not ${workers}`);
  const total = studies.reduce((sum, study) => sum + study.versions, 0);
  const cuts: StudyExtent[] = [];
  let seen = 0;
  for (const study of studies) {
    // Cut before this study when the versions before it reach the next worker's share.
    if (cuts.length < workers - 1 && seen > 0 && seen >= (total * (cuts.length + 1)) / workers) cuts.push(study);
    seen += study.versions;
  }
  const ranges: KeyRange[] = [];
  let startAfter: string | undefined;
  for (const cut of cuts) {
    ranges.push({ startAfter, until: cut.prefix });
    startAfter = cut.keyBefore;
  }
  ranges.push({ startAfter });
  return ranges;
}

/** Whether a key is inside the range (the listing already started after `startAfter`). */
export const beforeRangeEnd = (key: string, range: KeyRange): boolean => range.until === undefined || key < range.until;
