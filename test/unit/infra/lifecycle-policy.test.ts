import { describe, expect, it } from 'vitest';
import { loadPolicy, parsePolicy, PolicyError } from '#infra/lifecycle/load-policy.ts';
import { compileLifecycleRules } from '#infra/lifecycle/compile-rules.ts';
import { dueStorageClass, transitionDueAt } from '#infra/local/s3/lifecycle-rules.ts';
import { decide } from '#core/lifecycle/evaluate.ts';

const problemsOf = (text: string): string[] => {
  try {
    parsePolicy(text, 'test.yaml');
  } catch (error) {
    if (error instanceof PolicyError) return error.problems;
    throw error;
  }
  return [];
};
const withRules = (rules: string) => `version: 1\nrules:\n${rules}  - id: rest\n    match: {}\n    schedule: [STANDARD 0d]\n`;

describe('The lifecycle policy file', () => {
  it('loads the shipped default, whose last rule catches everything', () => {
    const policy = loadPolicy();
    expect(policy.version).toBeGreaterThanOrEqual(1);
    expect(policy.rules.map((r) => r.id)).toEqual(expect.arrayContaining(['pinned', 'pediatric', 'mammography', 'clinical']));
    expect(policy.rules.at(-1)!.match).toEqual({});
  });

  it('names the line and the rule of a schema error', () => {
    const problems = problemsOf(withRules('  - id: ct\n    match: { modality: [CT] }\n    schedule: [STANDARD 0d]\n'));
    expect(problems).toEqual(['line 4, rule 1 "ct": rules.0.match unknown field "modality"']);
    expect(problemsOf(withRules('  - id: ct\n    match: {}\n    schedule: [STANDARD 0d, GLACIER soon]\n'))[0]).toMatch(/^line 5, rule 1 "ct": rules\.0\.schedule\.1 must match pattern/);
    expect(problemsOf('version: 0\nrules: []\n')).toEqual(['line 1, version must be >= 1', 'line 2, rules must NOT have fewer than 1 items']);
  });

  it("refuses what S3's lifecycle would refuse, naming the line and the rule", () => {
    const ia = problemsOf(withRules('  - id: fast\n    match: { modalities: [CT] }\n    schedule: [STANDARD 0d, STANDARD_IA 10d]\n'));
    expect(ia).toEqual(['line 5, rule 1 "fast": S3 moves objects to STANDARD_IA no sooner than 30 days after creation (10d given)']);
    const warmer = problemsOf(withRules('  - id: back\n    match: { modalities: [CT] }\n    schedule: [STANDARD 0d, GLACIER 30d, GLACIER_IR 1y]\n'));
    expect(warmer).toEqual(['line 5, rule 1 "back": GLACIER_IR is not colder than GLACIER: S3 lifecycle only moves objects to colder tiers']);
    const early = problemsOf(withRules('  - id: early\n    match: { modalities: [CT] }\n    schedule: [STANDARD 0d, GLACIER_IR 30d, DEEP_ARCHIVE 60d]\n'));
    expect(early[0]).toMatch(/DEEP_ARCHIVE at 60d leaves GLACIER_IR after 30 day\(s\); GLACIER_IR must be kept 90 day\(s\) first/);
    expect(problemsOf(withRules('  - id: start\n    match: { modalities: [CT] }\n    schedule: [GLACIER 0d]\n'))[0]).toMatch(/starts with "STANDARD 0d"/);
  });

  it('refuses rules that can never apply under first match, duplicate ids, and a policy without a catch-all', () => {
    expect(problemsOf(withRules('  - id: all\n    match: {}\n    schedule: [STANDARD 0d]\n'))[0]).toMatch(/^line 4, rule 1 "all": .*the 1 rule\(s\) after it can never apply/);
    expect(problemsOf(withRules('  - id: rest\n    match: { modalities: [CT] }\n    schedule: [STANDARD 0d]\n'))[0]).toMatch(/rule id "rest" is also rule 1's/);
    expect(problemsOf('version: 1\nrules:\n  - id: ct\n    match: { modalities: [CT] }\n    schedule: [STANDARD 0d]\n')[0]).toMatch(/the last rule \("ct"\) must match everything/);
    expect(problemsOf(withRules('  - id: age\n    match: { patientAge: { from: 18y, under: 10y } }\n    schedule: [STANDARD 0d]\n'))[0]).toMatch(/from \(18y\) must be less than under \(10y\)/);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problemsOf('version: 1\nrules:\n  - id: [\n')[0]).toMatch(/^line \d+: /);
  });
});

describe('Compiled lifecycle rules', () => {
  it('turn each class that leaves Standard into one tag- and size-filtered rule', () => {
    const policy = loadPolicy();
    const rules = compileLifecycleRules(policy);
    expect(rules.map((r) => r.id)).toEqual(policy.rules.filter((r) => r.schedule.length > 1).map((r) => `ilm-${r.id}`));
    expect(rules.find((r) => r.id === 'ilm-clinical')).toEqual({
      id: 'ilm-clinical',
      tag: { key: 'strata-policy-class', value: 'clinical' },
      objectSizeGreaterThan: 131072,
      transitions: [{ days: 30, storageClass: 'STANDARD_IA' }, { days: 90, storageClass: 'GLACIER_IR' }, { days: 1095, storageClass: 'DEEP_ARCHIVE' }],
    });
  });

  it("move an object, as S3's engine would, to the tier the policy decides (after the midnight rounding)", () => {
    const policy = loadPolicy();
    const rules = compileLifecycleRules(policy);
    const createdAt = new Date('2030-01-01T10:00:00Z');
    const facts = { tenant: 't', sopClass: '1.2', modality: 'CT', ingestedAt: createdAt.toISOString() };
    let storageClass = 'STANDARD';
    for (let day = 0; day < 4 * 365; day += 1) {
      const now = new Date(createdAt.getTime() + day * 86_400_000 + 14 * 3_600_000); // past the next midnight
      const due = dueStorageClass(rules, { storageClass, createdAt, size: 200_000, tags: { 'strata-policy-class': 'clinical' } }, now);
      if (due) storageClass = due;
      expect(storageClass, `day ${day}`).toBe(decide(policy, facts, new Date(createdAt.getTime() + day * 86_400_000)).tier);
    }
  });

  it('leave small, untagged and otherwise-tagged objects where they are, and never move an object back', () => {
    const rules = compileLifecycleRules(loadPolicy());
    const createdAt = new Date('2030-01-01T00:00:00Z');
    const later = new Date('2040-01-01T00:00:00Z');
    const object = { storageClass: 'STANDARD', createdAt, size: 200_000, tags: { 'strata-policy-class': 'clinical' } };
    expect(dueStorageClass(rules, object, later)).toBe('DEEP_ARCHIVE');
    expect(dueStorageClass(rules, { ...object, size: 131_072 }, later)).toBeUndefined();
    expect(dueStorageClass(rules, { ...object, tags: {} }, later)).toBeUndefined();
    expect(dueStorageClass(rules, { ...object, tags: { 'strata-policy-class': 'pinned' } }, later)).toBeUndefined();
    expect(dueStorageClass(rules, { ...object, storageClass: 'DEEP_ARCHIVE' }, later)).toBeUndefined();
    expect(transitionDueAt(new Date('2030-01-01T10:00:00Z'), 30).toISOString()).toBe('2030-02-01T00:00:00.000Z');
  });

  it('keep an IA transition at 30 days even in a rule written without the check', () => {
    const rules = [{ id: 'x', tag: { key: 'k', value: 'v' }, objectSizeGreaterThan: 0, transitions: [{ days: 1, storageClass: 'STANDARD_IA' as const }] }];
    const object = { storageClass: 'STANDARD', createdAt: new Date('2030-01-01T00:00:00Z'), size: 1, tags: { k: 'v' } };
    expect(dueStorageClass(rules, object, new Date('2030-01-20T00:00:00Z'))).toBeUndefined();
    expect(dueStorageClass(rules, object, new Date('2030-02-01T00:00:00Z'))).toBe('STANDARD_IA');
  });
});
