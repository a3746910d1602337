/** When a study's last-access check is next due (core/lifecycle/last-access.ts). */
import { describe, expect, it } from 'vitest';
import { dueKey, dueThroughKey, lastAccessThresholds, MAX_RETRY_DELAY_DAYS, nextLastAccessCheck, retryDay, studyOfDueKey } from '#core/lifecycle/last-access.ts';
import type { LifecyclePolicy } from '#core/lifecycle/policy.ts';

const rule = (id: string, olderThan?: string) => ({ id, match: olderThan ? { lastAccess: { olderThan } } : {}, schedule: ['STANDARD 0d'] });
const policy = { version: 3, rules: [rule('dormant', '1y'), rule('quiet', '90d'), rule('again', '1y'), rule('all')] } as unknown as LifecyclePolicy;

describe('last-access checks', () => {
  it('take the thresholds of the last-access rules, none without such rules', () => {
    expect(lastAccessThresholds(policy)).toEqual([90, 365]);
    expect(lastAccessThresholds({ version: 1, rules: [rule('all')] } as unknown as LifecyclePolicy)).toEqual([]);
  });

  it('are due the day after the next crossing, from the last read, else from each ingest', () => {
    const now = new Date('2026-03-01T10:00:00Z');
    // Never read: from ingest (90 days after 2026-01-01T12:00 is 2026-04-01T12:00, checked from 2026-04-02).
    expect(nextLastAccessCheck(policy, { ingestedAts: ['2026-01-01T12:00:00Z'] }, now)).toBe('2026-04-02');
    // The earliest crossing still ahead among several ingests.
    expect(nextLastAccessCheck(policy, { ingestedAts: ['2025-01-01T00:00:00Z', '2026-02-01T00:00:00Z'] }, now)).toBe('2026-05-02');
    // A read replaces the ingests; a crossing at midnight is due that day.
    expect(nextLastAccessCheck(policy, { lastAccessAt: '2026-02-28T00:00:00Z', ingestedAts: ['2020-01-01T00:00:00Z'] }, now)).toBe('2026-05-29');
    // Past every threshold: nothing left to check.
    expect(nextLastAccessCheck(policy, { ingestedAts: ['2020-01-01T00:00:00Z'] }, now)).toBeUndefined();
    // A crossing later today is checked tomorrow, never on a day being worked through.
    expect(nextLastAccessCheck(policy, { ingestedAts: ['2025-12-01T15:00:00Z'] }, now)).toBe('2026-03-02');
  });

  it('are keyed by day then study, so a Query through a day finds exactly the checks due', () => {
    const key = dueKey('acme', '2026-03-02', '1.2.840.5');
    expect(key).toEqual({ pk: 'T#acme#LIFECYCLE-DUE', sk: '2026-03-02#1.2.840.5' });
    expect(studyOfDueKey(key.sk)).toBe('1.2.840.5');
    expect(key.sk <= dueThroughKey('2026-03-02') && key.sk > dueThroughKey('2026-03-01')).toBe(true);
  });

  it('put a failed study\'s retry 1, 2, 4, 8, 16 days later, then every 30 days: bounded, never dropped', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 50].map((attempts) => (Date.parse(retryDay('2026-03-02', attempts)) - Date.parse('2026-03-02')) / 86_400_000);
    expect(delays).toEqual([1, 2, 4, 8, 16, MAX_RETRY_DELAY_DAYS, MAX_RETRY_DELAY_DAYS, MAX_RETRY_DELAY_DAYS]);
    // Across a month end, and never the day being worked through (not even for a count of 0).
    expect(retryDay('2026-02-28', 2)).toBe('2026-03-02');
    expect(retryDay('2026-03-02', 0)).toBe('2026-03-03');
  });
});
