import { describe, expect, it } from 'vitest';
import { classify, decide, ruleMatches, type InstanceFacts } from '#core/lifecycle/evaluate.ts';
import type { LifecyclePolicy, PolicyRule } from '#core/lifecycle/policy.ts';
import { ageStringDays, instanceFacts, patientAgeDays } from '#core/lifecycle/facts.ts';
import { instanceAvailability } from '#core/lifecycle/availability.ts';

const at = new Date('2030-06-01T00:00:00Z');
const facts = (overrides: Partial<InstanceFacts> = {}): InstanceFacts => ({
  tenant: 'acme',
  sopClass: '1.2.840.10008.5.1.4.1.1.2',
  modality: 'CT',
  bodyPart: 'CHEST',
  facility: 'General Hospital',
  patientAgeDays: 50 * 365,
  studyDate: '2030-05-31',
  ingestedAt: '2030-06-01T00:00:00Z',
  ...overrides,
});
const rule = (match: PolicyRule['match'], id = 'r'): PolicyRule => ({ id, match, schedule: ['STANDARD 0d'] });

describe('Lifecycle rule matching', () => {
  it('matches each kind of condition, and fails each when the fact differs or is missing', () => {
    const cases: [PolicyRule['match'], Partial<InstanceFacts>, Partial<InstanceFacts>][] = [
      [{ tenants: ['acme'] }, {}, { tenant: 'other' }],
      [{ facilities: ['general hospital'] }, {}, { facility: undefined }],
      [{ modalities: ['MR', 'CT'] }, {}, { modality: 'MR2' }],
      [{ sopClasses: ['1.2.840.10008.5.1.4.1.1.2'] }, {}, { sopClass: '1.2.3' }],
      [{ bodyParts: ['CHEST'] }, {}, { bodyPart: undefined }],
      [{ patientAge: { under: '18y' } }, { patientAgeDays: 17 * 365 }, { patientAgeDays: 18 * 365 }],
      [{ patientAge: { from: '40y', under: '75y' } }, {}, { patientAgeDays: undefined }],
      [{ studyAge: { from: '7y' } }, { studyDate: '2020-01-01' }, { studyDate: '2025-01-01' }],
      [{ lastAccess: { olderThan: '1y' } }, { lastAccessAt: '2029-01-01T00:00:00Z' }, { lastAccessAt: '2030-01-01T00:00:00Z' }],
      [{ pins: ['research'] }, { pins: ['research'] }, { pins: ['teaching'] }],
    ];
    for (const [match, holds, fails] of cases) {
      expect(ruleMatches(rule(match), facts(holds), at), JSON.stringify(match)).toBe(true);
      expect(ruleMatches(rule(match), facts(fails), at), JSON.stringify(match)).toBe(false);
    }
  });

  it('needs every condition of a rule (and), any value of a list (or)', () => {
    const match = { modalities: ['MG', 'CT'], bodyParts: ['BREAST'] };
    expect(ruleMatches(rule(match), facts({ modality: 'CT', bodyPart: 'BREAST' }), at)).toBe(true);
    expect(ruleMatches(rule(match), facts({ modality: 'CT', bodyPart: 'CHEST' }), at)).toBe(false);
  });

  it('counts last access from ingest when the instance was never retrieved', () => {
    const stale = rule({ lastAccess: { olderThan: '90d' } });
    expect(ruleMatches(stale, facts(), new Date('2030-08-01T00:00:00Z'))).toBe(false);
    expect(ruleMatches(stale, facts(), new Date('2030-09-01T00:00:00Z'))).toBe(true);
  });
});

describe('Lifecycle policy decisions', () => {
  const policy: LifecyclePolicy = {
    version: 7,
    rules: [
      { id: 'pinned', match: { pins: ['research', 'teaching'] }, schedule: ['STANDARD 0d'] },
      { id: 'pediatric', match: { patientAge: { under: '18y' } }, schedule: ['STANDARD 0d', 'GLACIER_IR 1y'] },
      { id: 'mammography', match: { modalities: ['MG'] }, schedule: ['STANDARD 0d', 'STANDARD_IA 60d', 'GLACIER_IR 1y'] },
      { id: 'clinical', match: {}, schedule: ['STANDARD 0d', 'STANDARD_IA 30d', 'GLACIER_IR 90d', 'DEEP_ARCHIVE 3y'] },
    ],
  };

  it('lets the first matching rule decide when several match (a pediatric mammogram is pediatric)', () => {
    const child = facts({ modality: 'MG', patientAgeDays: 16 * 365 });
    expect(classify(policy, child, at).id).toBe('pediatric');
    expect(classify(policy, { ...child, pins: ['teaching'] }, at).id).toBe('pinned');
    expect(classify(policy, facts({ modality: 'MG' }), at).id).toBe('mammography');
    expect(classify(policy, facts(), at).id).toBe('clinical');
  });

  it('gives the tier of the schedule at an age, the next step, and the policy version that decided', () => {
    const instance = facts();
    const day = (n: number) => new Date(Date.parse(instance.ingestedAt) + n * 86_400_000);
    expect(decide(policy, instance, day(0))).toEqual({ policyVersion: 7, policyClass: 'clinical', tier: 'STANDARD', next: { tier: 'STANDARD_IA', at: day(30).toISOString() } });
    expect(decide(policy, instance, day(29)).tier).toBe('STANDARD');
    expect(decide(policy, instance, day(30)).tier).toBe('STANDARD_IA');
    expect(decide(policy, instance, day(90)).tier).toBe('GLACIER_IR');
    expect(decide(policy, instance, day(3 * 365))).toEqual({ policyVersion: 7, policyClass: 'clinical', tier: 'DEEP_ARCHIVE' });
    expect(decide(policy, { ...instance, pins: ['research'] }, day(3000)).tier).toBe('STANDARD');
  });

  it('refuses to decide without a matching rule rather than guess', () => {
    expect(() => classify({ version: 1, rules: [rule({ modalities: ['MR'] })] }, facts(), at)).toThrow(/no rule/);
  });
});

describe('Lifecycle facts from DICOM', () => {
  it('reads patient age at the study from PatientAge, else from birth and study dates', () => {
    expect(ageStringDays('045Y')).toBe(Math.floor(45 * 365.25));
    expect(ageStringDays('003W')).toBe(21);
    expect(ageStringDays('45Y')).toBeUndefined();
    expect(patientAgeDays({ '00100030': { vr: 'DA', Value: ['20200101'] }, '00080020': { vr: 'DA', Value: ['20200111'] } })).toBe(10);
    expect(patientAgeDays({ '00100030': { vr: 'DA', Value: ['20201301'] }, '00080020': { vr: 'DA', Value: ['20200111'] } })).toBeUndefined();
  });

  it('collects modality, body part, facility and study date', () => {
    const dataset = {
      '00080060': { vr: 'CS', Value: ['MG'] },
      '00180015': { vr: 'CS', Value: ['BREAST'] },
      '00080080': { vr: 'LO', Value: ['Clinic'] },
      '00080020': { vr: 'DA', Value: ['20240229'] },
    };
    expect(instanceFacts(dataset, { tenant: 't', sopClass: '1.2', ingestedAt: '2025-01-01T00:00:00Z' })).toEqual({
      tenant: 't', sopClass: '1.2', ingestedAt: '2025-01-01T00:00:00Z', modality: 'MG', bodyPart: 'BREAST', facility: 'Clinic', studyDate: '2024-02-29', patientAgeDays: undefined,
    });
  });
});

describe('InstanceAvailability from the tier', () => {
  it('is ONLINE for instant tiers and restored copies, NEARLINE for GLACIER, OFFLINE for DEEP_ARCHIVE', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    expect(['STANDARD', 'STANDARD_IA', 'GLACIER_IR'].map((c) => instanceAvailability(c, undefined, now))).toEqual(['ONLINE', 'ONLINE', 'ONLINE']);
    expect(instanceAvailability('GLACIER', undefined, now)).toBe('NEARLINE');
    expect(instanceAvailability('DEEP_ARCHIVE', undefined, now)).toBe('OFFLINE');
    expect(instanceAvailability('DEEP_ARCHIVE', '2030-01-02T00:00:00Z', now)).toBe('ONLINE');
    expect(instanceAvailability('GLACIER', '2029-12-31T00:00:00Z', now)).toBe('NEARLINE');
  });
});
