/**
 * The local S3's decisions, as pure functions, against what the S3 User Guide documents:
 * which objects a GET may read (archive classes need a completed, unexpired restore), how long
 * a restore takes per class and tier, what `x-amz-restore` says, and what Object Lock refuses.
 * Expected values are written from the documentation, not from the modules' tables.
 */
import { describe, expect, it } from 'vitest';
import { lockHeaders, lockReason, retentionChangeRefusal } from '#infra/local/s3/object-lock.ts';
import type { ObjectVersion, RestoreState } from '#infra/local/s3/object-state.ts';
import { isReadable, planRestore, restoreDelayMs, restoreHeader, restorePhase } from '#infra/local/s3/restore-policy.ts';
import { LIFECYCLE_TARGET_CLASSES, STORAGE_CLASSES } from '#infra/local/s3/storage-classes.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = new Date('2026-03-01T10:00:00.000Z');
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);
const state = (extra: Partial<ObjectVersion> = {}): ObjectVersion => ({ versionId: 'v1', ...extra });
const restore = (readyInMs: number, days: number): RestoreState => ({
  tier: 'Standard',
  days,
  requestedAt: NOW.toISOString(),
  readyAt: at(readyInMs).toISOString(),
  expiresAt: at(readyInMs + days * DAY).toISOString(),
  sourceStorageClass: 'GLACIER',
});

describe('Restore timing (S3 User Guide, archive retrieval options: upper ends of each range)', () => {
  it('takes 5 min / 5 h / 12 h from GLACIER and 12 h / 48 h from DEEP_ARCHIVE, which has no Expedited tier', () => {
    expect(restoreDelayMs('GLACIER', 'Expedited')).toBe(5 * MINUTE);
    expect(restoreDelayMs('GLACIER', 'Standard')).toBe(5 * HOUR);
    expect(restoreDelayMs('GLACIER', 'Bulk')).toBe(12 * HOUR);
    expect(restoreDelayMs('DEEP_ARCHIVE', 'Standard')).toBe(12 * HOUR);
    expect(restoreDelayMs('DEEP_ARCHIVE', 'Bulk')).toBe(48 * HOUR);
    expect(restoreDelayMs('DEEP_ARCHIVE', 'Expedited')).toBeUndefined();
    expect(restoreDelayMs('STANDARD', 'Standard')).toBeUndefined();
  });

  it('plans a restore: ready after the tier\'s delay, expiring the requested days later', () => {
    expect(planRestore('DEEP_ARCHIVE', 'Bulk', 3, NOW)).toEqual({
      tier: 'Bulk',
      days: 3,
      requestedAt: '2026-03-01T10:00:00.000Z',
      readyAt: '2026-03-03T10:00:00.000Z',
      expiresAt: '2026-03-06T10:00:00.000Z',
      sourceStorageClass: 'DEEP_ARCHIVE',
    });
    expect(() => planRestore('DEEP_ARCHIVE', 'Expedited', 1, NOW)).toThrow('Expedited retrieval is not available for DEEP_ARCHIVE');
  });

  it('is ongoing until ready, restored until it expires, then expired (boundaries included)', () => {
    const r = restore(HOUR, 2);
    expect(restorePhase(undefined, NOW)).toBe('none');
    expect(restorePhase(r, NOW)).toBe('ongoing');
    expect(restorePhase(r, at(HOUR - 1))).toBe('ongoing');
    expect(restorePhase(r, at(HOUR))).toBe('restored');
    expect(restorePhase(r, at(HOUR + 2 * DAY - 1))).toBe('restored');
    expect(restorePhase(r, at(HOUR + 2 * DAY))).toBe('expired');
  });

  it('reports the restore as S3 does in x-amz-restore, and nothing once expired or never asked', () => {
    const s = state({ storageClass: 'GLACIER', restore: restore(HOUR, 2) });
    expect(restoreHeader(s, NOW)).toBe('ongoing-request="true"');
    expect(restoreHeader(s, at(2 * HOUR))).toBe('ongoing-request="false", expiry-date="Tue, 03 Mar 2026 11:00:00 GMT"');
    expect(restoreHeader(s, at(3 * DAY))).toBeUndefined();
    expect(restoreHeader(state({ storageClass: 'GLACIER' }), NOW)).toBeUndefined();
  });
});

describe('Which objects GET can read', () => {
  it('reads every non-archive class, and an object whose class is unknown', () => {
    for (const storageClass of ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'REDUCED_REDUNDANCY', undefined]) {
      expect(isReadable(storageClass, state(), NOW), String(storageClass)).toBe(true);
    }
  });

  it('reads GLACIER and DEEP_ARCHIVE only while a completed restore has not expired', () => {
    for (const storageClass of ['GLACIER', 'DEEP_ARCHIVE']) {
      expect(isReadable(storageClass, state(), NOW), `${storageClass} never restored`).toBe(false);
      const restored = state({ restore: restore(HOUR, 1) });
      expect(isReadable(storageClass, restored, NOW), `${storageClass} restore ongoing`).toBe(false);
      expect(isReadable(storageClass, restored, at(HOUR)), `${storageClass} restored`).toBe(true);
      expect(isReadable(storageClass, restored, at(HOUR + DAY)), `${storageClass} restore expired`).toBe(false);
    }
  });
});

describe('Object Lock (S3 User Guide, "Locking objects with Object Lock")', () => {
  const until = (offsetMs: number) => at(offsetMs).toISOString();

  it('refuses deletion under a legal hold, whatever the retention and the bypass', () => {
    expect(lockReason(state({ legalHold: 'ON' }), NOW, true)).toBe('the object is under legal hold');
    expect(lockReason(state({ legalHold: 'OFF' }), NOW, false)).toBeUndefined();
  });

  it('refuses deletion before retain-until; GOVERNANCE yields to the bypass header, COMPLIANCE never', () => {
    const governance = state({ retention: { mode: 'GOVERNANCE', retainUntil: until(DAY) } });
    const compliance = state({ retention: { mode: 'COMPLIANCE', retainUntil: until(DAY) } });
    expect(lockReason(governance, NOW, false)).toBe(`the object is under GOVERNANCE retention until ${until(DAY)}`);
    expect(lockReason(governance, NOW, true)).toBeUndefined();
    expect(lockReason(compliance, NOW, true)).toBe(`the object is under COMPLIANCE retention until ${until(DAY)}`);
    // At retain-until the protection ends.
    expect(lockReason(compliance, at(DAY), false)).toBeUndefined();
    expect(lockReason(compliance, at(DAY - 1), false)).toBeDefined();
    expect(lockReason(state(), NOW, false)).toBeUndefined();
  });

  it('lets COMPLIANCE retention be extended only, GOVERNANCE shortened only with the bypass', () => {
    const compliance = { mode: 'COMPLIANCE' as const, retainUntil: until(DAY) };
    const governance = { mode: 'GOVERNANCE' as const, retainUntil: until(DAY) };
    const refusedCompliance = 'COMPLIANCE retention cannot be shortened or removed';
    const refusedGovernance = 'GOVERNANCE retention can only be shortened with x-amz-bypass-governance-retention';
    expect(retentionChangeRefusal(compliance, { mode: 'COMPLIANCE', retainUntil: until(2 * DAY) }, NOW, false)).toBeUndefined();
    expect(retentionChangeRefusal(compliance, { mode: 'COMPLIANCE', retainUntil: until(DAY) }, NOW, false)).toBeUndefined();
    expect(retentionChangeRefusal(compliance, { mode: 'COMPLIANCE', retainUntil: until(DAY - 1) }, NOW, true)).toBe(refusedCompliance);
    expect(retentionChangeRefusal(compliance, undefined, NOW, true)).toBe(refusedCompliance);
    expect(retentionChangeRefusal(compliance, { mode: 'GOVERNANCE', retainUntil: until(2 * DAY) }, NOW, true)).toBe(refusedCompliance);
    expect(retentionChangeRefusal(governance, { mode: 'GOVERNANCE', retainUntil: until(2 * DAY) }, NOW, false)).toBeUndefined();
    expect(retentionChangeRefusal(governance, { mode: 'GOVERNANCE', retainUntil: until(HOUR) }, NOW, false)).toBe(refusedGovernance);
    expect(retentionChangeRefusal(governance, undefined, NOW, false)).toBe(refusedGovernance);
    expect(retentionChangeRefusal(governance, undefined, NOW, true)).toBeUndefined();
    // Once retention has passed (at retain-until exactly, too), anything goes.
    expect(retentionChangeRefusal(compliance, undefined, at(DAY), false)).toBeUndefined();
    expect(retentionChangeRefusal(compliance, undefined, at(DAY - 1), false)).toBe(refusedCompliance);
    expect(retentionChangeRefusal(undefined, undefined, NOW, false)).toBeUndefined();
  });

  it('reports the lock in S3\'s response headers', () => {
    expect(lockHeaders(state({ legalHold: 'ON', retention: { mode: 'GOVERNANCE', retainUntil: until(DAY) } }))).toEqual({
      'x-amz-object-lock-legal-hold': 'ON',
      'x-amz-object-lock-mode': 'GOVERNANCE',
      'x-amz-object-lock-retain-until-date': until(DAY),
    });
    expect(lockHeaders(state())).toEqual({ 'x-amz-object-lock-legal-hold': undefined, 'x-amz-object-lock-mode': undefined, 'x-amz-object-lock-retain-until-date': undefined });
  });
});

describe('Storage classes', () => {
  it('accepts the classes s3rver can store and refuses others (GLACIER_IR, EXPRESS_ONEZONE, lower case)', () => {
    expect([...STORAGE_CLASSES].sort()).toEqual(['DEEP_ARCHIVE', 'GLACIER', 'INTELLIGENT_TIERING', 'ONEZONE_IA', 'OUTPOSTS', 'REDUCED_REDUNDANCY', 'STANDARD', 'STANDARD_IA']);
    for (const refused of ['GLACIER_IR', 'EXPRESS_ONEZONE', 'standard', '']) expect(STORAGE_CLASSES.has(refused), refused).toBe(false);
  });

  it('lets a lifecycle rule move objects down only: never to STANDARD, REDUCED_REDUNDANCY or OUTPOSTS', () => {
    expect([...LIFECYCLE_TARGET_CLASSES].sort()).toEqual(['DEEP_ARCHIVE', 'GLACIER', 'GLACIER_IR', 'INTELLIGENT_TIERING', 'ONEZONE_IA', 'STANDARD_IA']);
  });
});
