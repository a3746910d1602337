/**
 * The edges of the retention rules, where a wrong comparison deletes a study a day early or a
 * safety net names the wrong date (mutation testing found them unchecked). Dates are written out.
 */
import { describe, expect, it } from 'vitest';
import { evaluateRetention, reliableDates, type StudyRetentionFacts } from '#core/disposition/retention.ts';
import { parsePeriod, periodDays, retentionProblems, type RetentionPolicy } from '#core/disposition/retention-policy.ts';

const LENIENT: RetentionPolicy = {
  recoveryWindow: '30d',
  rules: [
    { id: 'two-sites', match: { facilities: ['SITE A', 'SITE B'] }, adults: '5y', minors: { untilAge: '18y', plus: '0y' } },
    // No mammography period and short minor periods: only the floors keep such studies.
    { id: 'lenient', match: {}, adults: '3y', minors: { untilAge: '18y', plus: '1y' } },
  ],
};
const facts = (over: Partial<StudyRetentionFacts>): StudyRetentionFacts => ({ tenant: 'default', modalities: ['CT'], studyDate: '20100101', birthDate: '19700101', pins: [], holdIds: [], ...over });
const midnight = (iso: string) => new Date(`${iso}T00:00:00Z`);

describe('the safety floors when both bind', () => {
  it('names the later one: the pediatric floor outlasting the mammography floor', () => {
    // Born 2000-01-01, mammogram at 10: rule until 2019-01-01; MQSA floor 2020-01-01; pediatric floor 2021-01-01.
    const verdict = evaluateRetention(LENIENT, facts({ modalities: ['MG'], studyDate: '20100101', birthDate: '20000101' }), midnight('2019-06-01'));
    expect(verdict).toMatchObject({ outcome: 'spared', safetyNet: 'pediatric-floor', category: 'minor-mammography', retainUntil: '2021-01-01' });
  });

  it('names the later one: the mammography floor outlasting the pediatric floor', () => {
    // Born 1995-01-01, mammogram at 17 (2012-06-01): rule until 2015-06-01; pediatric floor 2016-01-01; MQSA floor 2022-06-01.
    const verdict = evaluateRetention(LENIENT, facts({ modalities: ['MG'], studyDate: '20120601', birthDate: '19950101' }), midnight('2015-07-01'));
    expect(verdict).toMatchObject({ outcome: 'spared', safetyNet: 'mammography-floor', category: 'minor-mammography', retainUntil: '2022-06-01' });
  });
});

describe('reliable dates at their limits', () => {
  it('accepts a study dated today, refuses one dated tomorrow', () => {
    expect(reliableDates(facts({ studyDate: '20200101' }), midnight('2020-01-01'))).toEqual({ study: midnight('2020-01-01'), birth: midnight('1970-01-01') });
    expect(reliableDates(facts({ studyDate: '20200102' }), midnight('2020-01-01'))).toEqual({ problem: 'the study date is in the future' });
  });

  it('accepts a study on the day X-rays were discovered (1895-11-08), refuses the day before', () => {
    expect(reliableDates(facts({ studyDate: '18951108', birthDate: '18900101' }), midnight('2020-01-01'))).toMatchObject({ study: midnight('1895-11-08') });
    expect(reliableDates(facts({ studyDate: '18951107', birthDate: '18900101' }), midnight('2020-01-01'))).toEqual({ problem: 'the study date is before 1895' });
  });

  it('accepts a newborn studied on the day of birth, refuses a birth after the study', () => {
    expect(reliableDates(facts({ studyDate: '20100101', birthDate: '20100101' }), midnight('2020-01-01'))).toMatchObject({ birth: midnight('2010-01-01') });
    expect(reliableDates(facts({ studyDate: '20100101', birthDate: '20100102' }), midnight('2020-01-01'))).toEqual({ problem: 'the patient birth date is after the study date' });
  });

  it('accepts a patient 130 years old on the study day, refuses one a day older', () => {
    expect(reliableDates(facts({ studyDate: '20200101', birthDate: '18900101' }), midnight('2021-01-01'))).toMatchObject({ birth: midnight('1890-01-01') });
    expect(reliableDates(facts({ studyDate: '20200102', birthDate: '18900101' }), midnight('2021-01-01'))).toEqual({ problem: 'the patient would have been over 130 at the study' });
  });
});

describe('rule choice and reasons', () => {
  it('a patient studied on the 18th birthday is an adult', () => {
    expect(evaluateRetention(LENIENT, facts({ studyDate: '20100301', birthDate: '19920301' }), midnight('2011-01-01'))).toMatchObject({ category: 'adult', retainUntil: '2013-03-01' });
    expect(evaluateRetention(LENIENT, facts({ studyDate: '20100228', birthDate: '19920301' }), midnight('2011-01-01'))).toMatchObject({ category: 'minor' });
  });

  it('a minor keeps the longer of the adult period and the minors\' one; an adult never gets the minors\' one', () => {
    // Site rule: adults 5y, minors until 18. A 17-year-old studied 2010-02-01: 5 years after the study outlasts the 18th birthday.
    const teen = facts({ facility: 'SITE A', studyDate: '20100201', birthDate: '19920301' });
    expect(evaluateRetention(LENIENT, teen, midnight('2012-01-01'))).toMatchObject({ outcome: 'retained', category: 'minor', retainUntil: '2015-02-01' });
    // Lenient rule: adults 3y, minors until 18 plus 1 (the 19th birthday, 2009-01-01). An adult of 18½ studied 2008-07-01: 3 years, no more.
    const young = facts({ studyDate: '20080701', birthDate: '19900101' });
    expect(evaluateRetention({ ...LENIENT, rules: [{ ...LENIENT.rules[1]!, minors: { untilAge: '18y', plus: '7y' } }] }, young, midnight('2012-01-01'))).toMatchObject({ outcome: 'eligible', category: 'adult', retainUntil: '2011-07-01' });
  });

  it('is eligible from the first moment of the day its period ends', () => {
    expect(evaluateRetention(LENIENT, facts({ studyDate: '20100101' }), midnight('2013-01-01'))).toMatchObject({ outcome: 'eligible', retainUntil: '2013-01-01' });
    expect(evaluateRetention(LENIENT, facts({ studyDate: '20100101' }), new Date(Date.parse('2013-01-01T00:00:00Z') - 1))).toMatchObject({ outcome: 'retained', retainUntil: '2013-01-01' });
  });

  it('a rule listing several facilities matches each of them', () => {
    expect(evaluateRetention(LENIENT, facts({ facility: 'site b' }), midnight('2011-01-01'))).toMatchObject({ rule: 'two-sites', retainUntil: '2015-01-01' });
  });

  it('a policy whose rules miss the study is an error, never a verdict', () => {
    const partial: RetentionPolicy = { recoveryWindow: '30d', rules: [LENIENT.rules[0]!] };
    expect(() => evaluateRetention(partial, facts({ facility: 'ELSEWHERE' }), midnight('2030-01-01'))).toThrow('the retention policy has no rule for this study (its last rule must match everything)');
  });

  it('says which pins spare a study, and why a policy without retention spares everything', () => {
    expect(evaluateRetention(LENIENT, facts({ pins: ['trial-1', 'trial-2'] }), midnight('2030-01-01'))).toEqual({ outcome: 'spared', safetyNet: 'research-pin', reason: 'the study is pinned (trial-1, trial-2)' });
    expect(evaluateRetention(undefined, facts({}), midnight('2030-01-01'))).toEqual({ outcome: 'spared', safetyNet: 'unreliable-dates', reason: 'the policy has no retention rules' });
  });
});

describe('retention periods and policy checks', () => {
  it('reads days, weeks and years', () => {
    expect(parsePeriod('30d')).toEqual({ years: 0, days: 30 });
    expect(parsePeriod('26w')).toEqual({ years: 0, days: 182 });
    expect(parsePeriod('7y')).toEqual({ years: 7, days: 0 });
    expect(periodDays({ years: 2, days: 10 })).toBe(740.5);
  });

  it('points each problem at its field', () => {
    const policy: RetentionPolicy = {
      recoveryWindow: '30d',
      rules: [
        { id: 'a', match: { tenants: ['t'] }, adults: '7y', minors: { untilAge: '17y', plus: '0y' }, mammography: '9y' },
        { id: 'a', match: { tenants: ['u'] }, adults: '7y', minors: { untilAge: '18y', plus: '0y' }, mammography: '10y' },
      ],
    };
    expect(retentionProblems(policy)).toEqual([
      { path: ['retention', 'rules', 0, 'mammography'], message: 'mammography must be kept at least 10 years (MQSA); 9y given' },
      { path: ['retention', 'rules', 0, 'minors', 'untilAge'], message: 'minors are kept at least until age 18; 17y given' },
      { path: ['retention', 'rules', 1, 'id'], message: 'retention rule id "a" is used twice' },
      { path: ['retention', 'rules', 1, 'match'], message: 'the last retention rule ("a") must match everything (match: {}), so every study has a retention period' },
    ]);
  });
});
