/**
 * Which of a patient's earlier studies a new study makes worth restoring ahead of the read
 * (policy `priors`): studied before the new one and within `within` of it, sharing a modality
 * and/or a body part when the policy says so, newest first, at most `maxStudies`.
 */
import { durationDays, type PriorsPolicy } from '#core/lifecycle/policy.ts';
import { isoDate } from '#core/lifecycle/facts.ts';

export interface StudySummary {
  study: string;
  /** StudyDate as DICOM DA (`YYYYMMDD`), '' when unknown. */
  studyDate: string;
  modalities: readonly string[];
  bodyParts: readonly string[];
}

const DAY = 86_400_000;
const DEFAULT_MAX_STUDIES = 3;

const shares = (a: readonly string[], b: readonly string[]) => a.some((value) => b.includes(value));

export function selectPriors(current: StudySummary, candidates: readonly StudySummary[], policy: PriorsPolicy): string[] {
  const day = isoDate(current.studyDate);
  // Without the new study's date nothing can be called a prior of it.
  if (!day) return [];
  const until = Date.parse(day);
  const from = until - durationDays(policy.within) * DAY;
  return candidates
    .filter((candidate) => {
      if (candidate.study === current.study) return false;
      const date = isoDate(candidate.studyDate);
      if (!date || Date.parse(date) > until || Date.parse(date) < from) return false;
      if (policy.sameModality && !shares(candidate.modalities, current.modalities)) return false;
      if (policy.sameBodyPart && !shares(candidate.bodyParts, current.bodyParts)) return false;
      return true;
    })
    .sort((a, b) => b.studyDate.localeCompare(a.studyDate) || a.study.localeCompare(b.study))
    .slice(0, policy.maxStudies ?? DEFAULT_MAX_STUDIES)
    .map((candidate) => candidate.study);
}
