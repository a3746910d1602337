/**
 * Object Lock as S3 documents it (legal hold; GOVERNANCE and COMPLIANCE retention), per object
 * version: a locked version cannot be deleted (DELETE with its versionId is refused). In a
 * versioned bucket a plain DELETE adds a delete marker and an overwrite a new version, both
 * leaving the locked version intact, so neither is refused; an unversioned bucket (no Object
 * Lock in S3, kept for completeness) refuses both.
 */
import type { ObjectVersion } from './object-state.ts';

export function lockReason(state: ObjectVersion | undefined, now: Date, bypassGovernance: boolean): string | undefined {
  if (!state) return undefined;
  if (state.legalHold === 'ON') return 'the object is under legal hold';
  const retention = state.retention;
  if (retention && Date.parse(retention.retainUntil) > now.getTime()) {
    if (retention.mode === 'GOVERNANCE' && bypassGovernance) return undefined;
    return `the object is under ${retention.mode} retention until ${retention.retainUntil}`;
  }
  return undefined;
}

/**
 * Whether a retention change is allowed: COMPLIANCE can only be extended; GOVERNANCE can be
 * shortened or removed only with the bypass header.
 */
export function retentionChangeRefusal(
  current: ObjectVersion['retention'],
  next: ObjectVersion['retention'],
  now: Date,
  bypassGovernance: boolean,
): string | undefined {
  if (!current || Date.parse(current.retainUntil) <= now.getTime()) return undefined;
  const shortens = !next || Date.parse(next.retainUntil) < Date.parse(current.retainUntil) || next.mode !== current.mode;
  if (!shortens) return undefined;
  if (current.mode === 'COMPLIANCE') return 'COMPLIANCE retention cannot be shortened or removed';
  if (!bypassGovernance) return 'GOVERNANCE retention can only be shortened with x-amz-bypass-governance-retention';
  return undefined;
}

export function lockHeaders(state: ObjectVersion | undefined): Record<string, string | undefined> {
  return {
    'x-amz-object-lock-legal-hold': state?.legalHold,
    'x-amz-object-lock-mode': state?.retention?.mode,
    'x-amz-object-lock-retain-until-date': state?.retention?.retainUntil,
  };
}
