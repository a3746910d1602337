/** Which warmer class an archived object read again is copied back to (core/lifecycle/rewarm.ts). */
import { describe, expect, it } from 'vitest';
import { rewarmTarget } from '#core/lifecycle/rewarm.ts';
import type { PolicyRule } from '#core/lifecycle/policy.ts';

const rule: PolicyRule = { id: 'clinical', match: {}, schedule: ['STANDARD 0d'], rewarm: 'STANDARD_IA' };
const now = new Date('2026-06-01T00:00:00Z');
const restored = '2026-06-05T00:00:00Z';

describe('copy back', () => {
  it('takes an archived object read from its restored copy to the rule\'s warmer class', () => {
    expect(rewarmTarget(rule, { storageClass: 'GLACIER', restoredUntil: restored }, now)).toBe('STANDARD_IA');
    expect(rewarmTarget(rule, { storageClass: 'DEEP_ARCHIVE', restoredUntil: restored }, now)).toBe('STANDARD_IA');
    expect(rewarmTarget({ ...rule, rewarm: 'GLACIER_IR' }, { storageClass: 'DEEP_ARCHIVE', restoredUntil: restored }, now)).toBe('GLACIER_IR');
  });

  it('leaves objects without a readable restored copy, objects not archived, and rules without rewarm', () => {
    expect(rewarmTarget(rule, { storageClass: 'GLACIER' }, now)).toBeUndefined();
    expect(rewarmTarget(rule, { storageClass: 'GLACIER', restoredUntil: '2026-05-31T23:59:59Z' }, now)).toBeUndefined();
    expect(rewarmTarget(rule, { storageClass: 'GLACIER_IR', restoredUntil: restored }, now)).toBeUndefined();
    const { rewarm: _, ...withoutRewarm } = rule;
    expect(rewarmTarget(withoutRewarm, { storageClass: 'GLACIER', restoredUntil: restored }, now)).toBeUndefined();
  });
});
