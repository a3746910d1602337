/**
 * Which holds cover an instance, from what the index says (docs/legal-hold.md): the holds
 * marked on the instance by a completed placement, and those registered on its study, which
 * take effect the moment a hold is placed. Pure, for the DELETE path, disposition (checked at
 * evaluation and again at execution) and release.
 */
export interface HoldMarks {
  /** Hold ids marked on the instance item (`holds`). */
  readonly instanceHolds?: Iterable<string> | undefined;
  /** Hold ids registered on the instance's study (`HELD#S#<study>` item). */
  readonly studyHolds?: Iterable<string> | undefined;
}

/** The ids of every hold covering the instance, sorted, each once. */
export function holdsCovering(marks: HoldMarks): string[] {
  return [...new Set([...(marks.instanceHolds ?? []), ...(marks.studyHolds ?? [])])].sort();
}

export const isHeld = (marks: HoldMarks): boolean => holdsCovering(marks).length > 0;

/** After removing `released` from an instance, whether S3's legal hold must stay on (another hold covers it). */
export const stillHeldAfterRelease = (remaining: Iterable<string>, released: string): boolean => [...remaining].some((id) => id !== released);
