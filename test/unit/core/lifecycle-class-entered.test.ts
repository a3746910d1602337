/** When the tier backfill dates a corrected storage class (core/lifecycle/class-entered.ts). */
import { describe, expect, it } from 'vitest';
import { classEnteredAt } from '#core/lifecycle/class-entered.ts';
import type { LifecyclePolicy } from '#core/lifecycle/policy.ts';

const policy = {
  version: 2,
  rules: [
    { id: 'mammography', match: { modalities: ['MG'] }, schedule: ['STANDARD 0d', 'STANDARD_IA 60d', 'GLACIER_IR 1y'] },
    { id: 'clinical', match: {}, schedule: ['STANDARD 0d', 'STANDARD_IA 30d', 'GLACIER_IR 90d', 'DEEP_ARCHIVE 3y'] },
  ],
} as unknown as LifecyclePolicy;
const created = new Date('2020-03-10T15:30:00Z');
const now = new Date('2026-06-01T00:00:00Z');
const big = { lastModified: created, size: 5_000_000 };

describe('the date a corrected class was entered', () => {
  it('is the day S3\'s rule for the object\'s policy class moved it: midnight UTC after creation + the step\'s days', () => {
    expect(classEnteredAt(policy, { ...big, storageClass: 'DEEP_ARCHIVE', policyClass: 'clinical' }, now).toISOString()).toBe('2023-03-11T00:00:00.000Z');
    expect(classEnteredAt(policy, { ...big, storageClass: 'GLACIER_IR', policyClass: 'clinical' }, now).toISOString()).toBe('2020-06-09T00:00:00.000Z');
    // The same class under another rule's schedule.
    expect(classEnteredAt(policy, { ...big, storageClass: 'GLACIER_IR', policyClass: 'mammography' }, now).toISOString()).toBe('2021-03-11T00:00:00.000Z');
  });

  it('is LastModified when no rule of the object could have moved it there by now', () => {
    // No step to that class in its rule (set at PUT or by a copy).
    expect(classEnteredAt(policy, { ...big, storageClass: 'DEEP_ARCHIVE', policyClass: 'mammography' }, now)).toEqual(created);
    // No policy class tag, or one the policy no longer has.
    expect(classEnteredAt(policy, { ...big, storageClass: 'GLACIER_IR' }, now)).toEqual(created);
    expect(classEnteredAt(policy, { ...big, storageClass: 'GLACIER_IR', policyClass: 'retired' }, now)).toEqual(created);
    // The step's day is still ahead: not S3's rule.
    expect(classEnteredAt(policy, { ...big, storageClass: 'DEEP_ARCHIVE', policyClass: 'clinical' }, new Date('2023-03-10T12:00:00Z'))).toEqual(created);
    // Objects of 128 KB or less are never moved by the rules (their size filter).
    expect(classEnteredAt(policy, { lastModified: created, size: 131_072, storageClass: 'DEEP_ARCHIVE', policyClass: 'clinical' }, now)).toEqual(created);
    // STANDARD at day 0 is the creation itself.
    expect(classEnteredAt(policy, { ...big, storageClass: 'STANDARD', policyClass: 'clinical' }, now)).toEqual(created);
  });
});
