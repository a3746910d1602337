import { describe, expect, it } from 'vitest';
import { addPeriod, evaluateRetention, reliableDates, type StudyRetentionFacts } from '#core/disposition/retention.ts';
import { parsePeriod, retentionProblems, type RetentionPolicy } from '#core/disposition/retention-policy.ts';
import { parsePolicy } from '#infra/lifecycle/load-policy.ts';

const POLICY: RetentionPolicy = {
  recoveryWindow: '30d',
  rules: [
    { id: 'ny', jurisdiction: 'US-NY', match: { facilities: ['NY GENERAL'] }, adults: '6y', minors: { untilAge: '21y', plus: '0y' }, mammography: '12y' },
    // No mammography period: the MQSA floor alone protects mammograms here; a short minor period: the pediatric floor.
    { id: 'lenient', match: { tenants: ['lenient'] }, adults: '3y', minors: { untilAge: '18y', plus: '1y' } },
    { id: 'default', match: {}, adults: '7y', minors: { untilAge: '18y', plus: '7y' } },
  ],
};

const adult = (over: Partial<StudyRetentionFacts> = {}): StudyRetentionFacts => ({
  tenant: 'default',
  modalities: ['CT'],
  studyDate: '20100315',
  birthDate: '19600101',
  pins: [],
  holdIds: [],
  ...over,
});
const at = (iso: string) => new Date(`${iso}T12:00:00Z`);

describe('retention rules (first match) per category', () => {
  it('adults: eligible N calendar years after the study date, not a day before', () => {
    expect(evaluateRetention(POLICY, adult(), at('2017-03-14'))).toMatchObject({ outcome: 'retained', rule: 'default', category: 'adult', retainUntil: '2017-03-15' });
    expect(evaluateRetention(POLICY, adult(), at('2017-03-15'))).toMatchObject({ outcome: 'eligible', rule: 'default', category: 'adult', retainUntil: '2017-03-15' });
  });

  it('a facility rule comes before the catch-all and names its jurisdiction', () => {
    const facts = adult({ facility: 'ny general ' });
    expect(evaluateRetention(POLICY, facts, at('2016-03-15'))).toMatchObject({ outcome: 'eligible', rule: 'ny', jurisdiction: 'US-NY' });
    expect(evaluateRetention(POLICY, adult({ facility: 'OTHER' }), at('2016-03-15'))).toMatchObject({ outcome: 'retained', rule: 'default' });
  });

  it('minors: until the given age plus N years, and at least the adult period after the study', () => {
    // Born 2005-06-01, studied at 5: 18 + 7 → 2030-06-01 (later than 2010 + 7).
    const child = adult({ birthDate: '20050601' });
    expect(evaluateRetention(POLICY, child, at('2030-05-31'))).toMatchObject({ outcome: 'retained', category: 'minor', retainUntil: '2030-06-01' });
    expect(evaluateRetention(POLICY, child, at('2030-06-01'))).toMatchObject({ outcome: 'eligible', category: 'minor' });
    // Studied a month before 18: max(study + 7y = 2017-03-01, 18 + 7 = 2017-04-01).
    const teen = adult({ birthDate: '19920401', studyDate: '20100301' });
    expect(evaluateRetention(POLICY, teen, at('2017-03-01'))).toMatchObject({ outcome: 'retained', category: 'minor', retainUntil: '2017-04-01' });
  });

  it('mammography: the rule period when longer than the floor', () => {
    const mg = adult({ facility: 'NY GENERAL', modalities: ['MG'] });
    expect(evaluateRetention(POLICY, mg, at('2022-03-14'))).toMatchObject({ outcome: 'retained', category: 'mammography', retainUntil: '2022-03-15' });
    expect(evaluateRetention(POLICY, mg, at('2022-03-15'))).toMatchObject({ outcome: 'eligible', category: 'mammography' });
  });

  it('a policy without retention rules makes nothing eligible', () => {
    expect(evaluateRetention(undefined, adult(), at('2090-01-01'))).toMatchObject({ outcome: 'spared' });
  });
});

describe('safety nets no rule overrides', () => {
  it('legal hold: never eligible, with the hold ids', () => {
    expect(evaluateRetention(POLICY, adult({ holdIds: ['hold-1'] }), at('2090-01-01'))).toEqual({
      outcome: 'spared', safetyNet: 'legal-hold', reason: 'the study is under legal hold', holdIds: ['hold-1'],
    });
  });

  it('research or teaching pin: never eligible', () => {
    expect(evaluateRetention(POLICY, adult({ pins: ['research'] }), at('2090-01-01'))).toMatchObject({ outcome: 'spared', safetyNet: 'research-pin' });
  });

  it.each([
    ['no study date', { studyDate: undefined }, 'the study has no study date'],
    ['an impossible study date', { studyDate: '20100230' }, 'the study date is not a valid date'],
    ['a study date in the future', { studyDate: '20990101' }, 'the study date is in the future'],
    ['a study date before X-rays', { studyDate: '18800101' }, 'the study date is before 1895'],
    ['no birth date', { birthDate: undefined }, 'the patient has no birth date'],
    ['a malformed birth date', { birthDate: '1960' }, 'the patient birth date is not a valid date'],
    ['a birth after the study', { birthDate: '20110101' }, 'the patient birth date is after the study date'],
    ['a patient over 130', { birthDate: '18700101' }, 'the patient would have been over 130 at the study'],
  ])('unreliable dates (%s): never eligible', (_name, over, reason) => {
    expect(evaluateRetention(POLICY, adult(over), at('2090-01-01'))).toEqual({ outcome: 'spared', safetyNet: 'unreliable-dates', reason });
  });

  it('mammography floor: 10 years after the study even when the rule says less', () => {
    const mg = adult({ tenant: 'lenient', modalities: ['CT', 'MG'] });
    expect(evaluateRetention(POLICY, mg, at('2019-03-15'))).toMatchObject({ outcome: 'spared', safetyNet: 'mammography-floor', rule: 'lenient', retainUntil: '2020-03-15' });
    expect(evaluateRetention(POLICY, mg, at('2020-03-15'))).toMatchObject({ outcome: 'eligible', rule: 'lenient', category: 'mammography' });
  });

  it("pediatric floor: not before the patient's 21st birthday even when the rule says less", () => {
    // Born 2000-09-01, studied at 9: the rule gives max(2013-03-15, 2019-09-01); the floor 2021-09-01.
    const child = adult({ tenant: 'lenient', birthDate: '20000901' });
    expect(evaluateRetention(POLICY, child, at('2019-09-01'))).toMatchObject({ outcome: 'spared', safetyNet: 'pediatric-floor', retainUntil: '2021-09-01' });
    expect(evaluateRetention(POLICY, child, at('2021-09-01'))).toMatchObject({ outcome: 'eligible', category: 'minor' });
  });

  it('a hold outranks every other reason, and dates outrank the rules', () => {
    expect(evaluateRetention(POLICY, adult({ holdIds: ['h'], pins: ['teaching'], studyDate: undefined }), at('2090-01-01'))).toMatchObject({ safetyNet: 'legal-hold' });
    expect(evaluateRetention(POLICY, adult({ studyDate: '' }), at('2090-01-01'))).toMatchObject({ safetyNet: 'unreliable-dates' });
  });
});

describe('periods and dates', () => {
  it('counts calendar years (a leap day lands on 1 March)', () => {
    expect(addPeriod(new Date('2012-02-29T00:00:00Z'), parsePeriod('1y')).toISOString().slice(0, 10)).toBe('2013-03-01');
    expect(addPeriod(new Date('2012-01-01T00:00:00Z'), parsePeriod('2w')).toISOString().slice(0, 10)).toBe('2012-01-15');
    expect(() => parsePeriod('7 years')).toThrow(/not a retention period/);
  });

  it('reliable dates are both dates', () => {
    expect(reliableDates({ studyDate: '20100315', birthDate: '19600101' }, at('2020-01-01'))).toEqual({
      study: new Date('2010-03-15T00:00:00Z'), birth: new Date('1960-01-01T00:00:00Z'),
    });
  });
});

describe('the retention section of the policy file', () => {
  const policyWith = (retention: string) => `version: 1
rules:
  - id: all
    match: {}
    schedule: [STANDARD 0d]
retention:
${retention}`;

  it('the shipped policy loads with its retention rules', async () => {
    const { loadPolicy } = await import('#infra/lifecycle/load-policy.ts');
    expect(loadPolicy().retention?.rules.at(-1)?.match).toEqual({});
  });

  it('refuses mammography under 10 years, minors before 18, a catch-all that is not last, and a last rule that is not one', () => {
    const text = policyWith(`  recoveryWindow: 30d
  rules:
    - id: a
      match: {}
      adults: 5y
      minors: { untilAge: 16y, plus: 1y }
      mammography: 5y
    - id: b
      match: { tenants: [x] }
      adults: 5y
      minors: { untilAge: 18y, plus: 1y }
`);
    expect(() => parsePolicy(text, 'p.yaml')).toThrow(/retention rule 1 "a": mammography must be kept at least 10 years/);
    try {
      parsePolicy(text, 'p.yaml');
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/line 12, retention rule 1 "a": minors are kept at least until age 18/);
      expect(message).toMatch(/line 10, retention rule 1 "a": retention rule "a" matches everything/);
      expect(message).toMatch(/the last retention rule \("b"\) must match everything/);
    }
  });

  it('refuses an unknown field and a malformed period with the line', () => {
    expect(() => parsePolicy(policyWith(`  recoveryWindow: 30 days
  rules:
    - id: a
      match: {}
      adults: 5y
      minors: { untilAge: 18y, plus: 1y }
`), 'p.yaml')).toThrow(/line 7, retention\.recoveryWindow must match pattern/);
    expect(() => parsePolicy(policyWith(`  recoveryWindow: 30d
  rules:
    - id: a
      match: { modalities: [MG] }
      adults: 5y
      minors: { untilAge: 18y, plus: 1y }
`), 'p.yaml')).toThrow(/retention rule 1 "a": retention\.rules\.0\.match unknown field "modalities"/);
  });

  it('retentionProblems finds duplicate ids', () => {
    const rule = { id: 'x', match: {}, adults: '1y', minors: { untilAge: '18y', plus: '0y' } };
    expect(retentionProblems({ recoveryWindow: '1d', rules: [rule, rule] }).map((p) => p.message)).toContain('retention rule id "x" is used twice');
  });
});
