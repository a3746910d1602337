import { describe, expect, it } from 'vitest';
import { BadRequestError } from '#core/errors.ts';
import { holdsCovering, isHeld, stillHeldAfterRelease } from '#core/holds/covering.ts';
import { decodeHeldSubject, encodeHeldSubject, holdAuditSubjects, parseHoldRequest, registrationsOf, scopeRegistration } from '#core/holds/hold.ts';
import { Keys } from '#core/index-keys.ts';

describe('Legal hold requests and coverage (core/holds)', () => {
  it('accepts each scope form and refuses anything else with 400', () => {
    const base = { matter: 'Doe v. Hospital', reason: 'litigation' };
    expect(parseHoldRequest({ ...base, scope: { patient: { id: 'P1' } } }).scope).toEqual({ patient: { id: 'P1' } });
    expect(parseHoldRequest({ ...base, scope: { patient: { id: 'P1', issuer: 'HOSP' } } }).scope).toEqual({ patient: { id: 'P1', issuer: 'HOSP' } });
    expect(parseHoldRequest({ ...base, scope: { study: '1.2.3' } }).scope).toEqual({ study: '1.2.3' });
    expect(parseHoldRequest({ ...base, scope: { accession: 'A-9' } }).scope).toEqual({ accession: 'A-9' });
    expect(parseHoldRequest({ ...base, scope: { query: 'PatientName=DOE*' } }).scope).toEqual({ query: 'PatientName=DOE*' });
    for (const bad of [
      null,
      [],
      { ...base },
      { ...base, scope: {} },
      { ...base, scope: { study: '1.2.3', accession: 'A' } },
      { ...base, scope: { study: 'x.y' } },
      { ...base, scope: { patient: { id: '' } } },
      { ...base, scope: { mystery: 1 } },
      { matter: '', reason: 'r', scope: { study: '1.2.3' } },
      { matter: 'm'.repeat(257), reason: 'r', scope: { study: '1.2.3' } },
    ]) {
      expect(() => parseHoldRequest(bad), JSON.stringify(bad)).toThrow(BadRequestError);
    }
  });

  it('registers patient and accession scopes for arrivals, and checks an arrival against its study, patient (any issuer and its own) and accession', () => {
    expect(scopeRegistration('t', { patient: { id: 'P1' } })).toEqual(Keys.heldPatient('t', 'P1', ''));
    // An issuer-qualified hold still holds a study that arrives without IssuerOfPatientID.
    expect(scopeRegistration('t', { patient: { id: 'P1', issuer: 'H' } })).toEqual(Keys.heldPatient('t', 'P1', ''));
    expect(registrationsOf('t', { study: '1.3', patientId: 'P1' })).toContainEqual(scopeRegistration('t', { patient: { id: 'P1', issuer: 'H' } }));
    expect(scopeRegistration('t', { accession: 'A' })).toEqual(Keys.heldAccession('t', 'A'));
    expect(scopeRegistration('t', { study: '1.2' })).toBeUndefined();
    expect(registrationsOf('t', { study: '1.2', patientId: 'P1', issuer: 'H', accession: 'A' })).toEqual([
      Keys.heldStudy('t', '1.2'),
      Keys.heldPatient('t', 'P1', ''),
      Keys.heldPatient('t', 'P1', 'H'),
      Keys.heldAccession('t', 'A'),
    ]);
    expect(registrationsOf('t', { study: '1.2' })).toEqual([Keys.heldStudy('t', '1.2')]);
    expect(Keys.heldStudy('t', '1.2').pk).not.toBe(Keys.heldStudy('u', '1.2').pk);
  });

  it('covers an instance by its own holds or its study\'s, each once, and keeps the lock while another hold remains', () => {
    expect(holdsCovering({ instanceHolds: ['b', 'a'], studyHolds: ['a', 'c'] })).toEqual(['a', 'b', 'c']);
    expect(holdsCovering({})).toEqual([]);
    expect(isHeld({ studyHolds: ['x'] })).toBe(true);
    expect(isHeld({ instanceHolds: [], studyHolds: [] })).toBe(false);
    expect(stillHeldAfterRelease(['a'], 'a')).toBe(false);
    expect(stillHeldAfterRelease(['a', 'b'], 'a')).toBe(true);
    expect(stillHeldAfterRelease([], 'a')).toBe(false);
  });

  it('names every patient a hold covers for the audit trail, each with its own studies, whatever the scope', () => {
    const subjects = [
      { study: '1.2.3', patientId: 'P2' },
      { study: '1.2.1', patientId: 'P1' },
      { study: '1.2.2', patientId: 'P2' },
      { study: '1.2.9', patientId: '' },
    ];
    expect(holdAuditSubjects({ scope: { query: 'ModalitiesInStudy=CT' }, studies: ['1.2.1', '1.2.2', '1.2.3', '1.2.9'], subjects })).toEqual([
      { patientId: undefined, studies: ['1.2.9'] },
      { patientId: 'P1', studies: ['1.2.1'] },
      { patientId: 'P2', studies: ['1.2.2', '1.2.3'] },
    ]);
    // A patient hold with no study yet still names its patient; one placed before subjects were kept, too.
    expect(holdAuditSubjects({ scope: { patient: { id: 'P9' } }, studies: [], subjects: [] })).toEqual([{ patientId: 'P9', studies: [] }]);
    expect(holdAuditSubjects({ scope: { study: '1.2.1' }, studies: ['1.2.1'] })).toEqual([{ patientId: undefined, studies: ['1.2.1'] }]);
    // Stored form: any characters survive the round trip.
    const odd = { study: '1.2.4', patientId: 'A"\\#,[]' };
    expect(decodeHeldSubject(encodeHeldSubject(odd))).toEqual(odd);
  });

  it('says, for each refusal, what was wrong and what a body must look like', () => {
    const base = { matter: 'M', reason: 'R' };
    const refusal = (body: unknown) => {
      try {
        parseHoldRequest(body);
      } catch (error) {
        expect(error).toBeInstanceOf(BadRequestError);
        return (error as Error).message;
      }
      throw new Error(`accepted ${JSON.stringify(body)}`);
    };
    const shape = '{"matter": "…", "reason": "…", "scope": {"patient": {"id": "…", "issuer": "…"}} | {"study": "<UID>"} | {"accession": "…"} | {"query": "<QIDO query>"}}';
    expect(refusal('text')).toBe(`the body must be a JSON object: ${shape}`);
    expect(refusal([base])).toBe(`the body must be a JSON object: ${shape}`);
    expect(refusal({ ...base, matter: '   ' })).toBe('matter must be a non-empty string of at most 256 characters');
    expect(refusal({ ...base, reason: 7 })).toBe('reason must be a non-empty string of at most 256 characters');
    expect(refusal({ ...base, scope: [] })).toBe(`scope must name exactly one of patient, study, accession or query: ${shape}`);
    expect(refusal({ ...base, scope: { mystery: 1 } })).toBe(`scope must name exactly one of patient, study, accession or query: ${shape}`);
    expect(refusal({ ...base, scope: { patient: null } })).toBe('scope.patient must be {"id": "…", "issuer": "…"}');
    expect(refusal({ ...base, scope: { patient: 'P1' } })).toBe('scope.patient must be {"id": "…", "issuer": "…"}');
    expect(refusal({ ...base, scope: { patient: { id: 'P'.repeat(65) } } })).toBe('scope.patient.id must be a non-empty string of at most 64 characters');
    expect(refusal({ ...base, scope: { patient: { id: 'P1', issuer: '' } } })).toBe('scope.patient.issuer must be a non-empty string of at most 64 characters');
    expect(refusal({ ...base, scope: { study: 1.2 } })).toBe('scope.study must be a Study Instance UID');
    expect(refusal({ ...base, scope: { accession: '' } })).toBe('scope.accession must be a non-empty string of at most 64 characters');
    expect(refusal({ ...base, scope: { query: 'q'.repeat(2049) } })).toBe('scope.query must be a non-empty string of at most 2048 characters');
    // At the limits exactly: accepted, as they are.
    const atLimit = parseHoldRequest({ matter: 'm'.repeat(256), reason: ' r ', scope: { query: 'q'.repeat(2048) } });
    expect([atLimit.matter.length, atLimit.reason, atLimit.scope]).toEqual([256, ' r ', { query: 'q'.repeat(2048) }]);
  });

  it('names the held patient beside the patients of the studies it found, all in PatientID order', () => {
    const subjects = [
      { study: '1.2.7', patientId: 'P3' },
      { study: '1.2.5', patientId: 'P1' },
      { study: '1.2.6', patientId: 'P3' },
    ];
    // A patient hold whose studies were found under other PatientIDs (merged records) still names its own patient.
    expect(holdAuditSubjects({ scope: { patient: { id: 'P2' } }, studies: ['1.2.5', '1.2.6', '1.2.7'], subjects })).toEqual([
      { patientId: 'P1', studies: ['1.2.5'] },
      { patientId: 'P2', studies: [] },
      { patientId: 'P3', studies: ['1.2.6', '1.2.7'] },
    ]);
    // Its patient among them: named once.
    expect(holdAuditSubjects({ scope: { patient: { id: 'P3' } }, studies: ['1.2.6'], subjects: [{ study: '1.2.6', patientId: 'P3' }] })).toEqual([{ patientId: 'P3', studies: ['1.2.6'] }]);
  });

  it('checks an arrival without an issuer only against "any issuer" for its patient', () => {
    expect(registrationsOf('t', { study: '1.2', patientId: 'P1' })).toEqual([Keys.heldStudy('t', '1.2'), Keys.heldPatient('t', 'P1', '')]);
    expect(registrationsOf('t', { study: '1.2', patientId: 'P1', issuer: '' })).toEqual([Keys.heldStudy('t', '1.2'), Keys.heldPatient('t', 'P1', '')]);
  });
});
