/** The pure rules of cold retrieval: tiers and their delays, restore ids, replacement, Retry-After, request bodies, availability counts. */
import { describe, expect, it } from 'vitest';
import { aggregateAvailability, coldContribution } from '#core/lifecycle/availability.ts';
import { parseRestoreId, replaceable, restoreIdOf, retryAfterSeconds } from '#core/restores/restore-record.ts';
import { parseRestoreRequest } from '#core/restores/restore-request.ts';
import { restoreDelayMs, tierFor } from '#core/restores/restore-tiers.ts';
import { selectPriors, type StudySummary } from '#core/restores/prior-selection.ts';

const HOUR = 3_600_000;
const now = new Date('2031-05-01T12:00:00Z');

describe('restore tiers', () => {
  it('restores DEEP_ARCHIVE with Standard when Expedited is asked (Expedited does not exist there); other tiers unchanged', () => {
    expect(tierFor('DEEP_ARCHIVE', 'Expedited')).toBe('Standard');
    expect(tierFor('DEEP_ARCHIVE', 'Bulk')).toBe('Bulk');
    expect(tierFor('GLACIER', 'Expedited')).toBe('Expedited');
  });

  it('expects the slowest object: the upper end of the documented range for each class and tier', () => {
    expect(restoreDelayMs(['GLACIER'], 'Expedited')).toBe(5 * 60_000);
    expect(restoreDelayMs(['GLACIER'], 'Standard')).toBe(5 * HOUR);
    expect(restoreDelayMs(['GLACIER'], 'Bulk')).toBe(12 * HOUR);
    expect(restoreDelayMs(['DEEP_ARCHIVE'], 'Standard')).toBe(12 * HOUR);
    expect(restoreDelayMs(['DEEP_ARCHIVE'], 'Bulk')).toBe(48 * HOUR);
    expect(restoreDelayMs(['GLACIER', 'DEEP_ARCHIVE'], 'Expedited')).toBe(12 * HOUR);
    expect(restoreDelayMs(['STANDARD', 'GLACIER_IR'], 'Standard')).toBe(0);
  });
});

describe('restore records', () => {
  it('names a round of a study and reads the name back; anything else names nothing', () => {
    const id = restoreIdOf({ round: 3, study: '1.2.840.1' });
    expect(id).toBe('3.1.2.840.1');
    expect(parseRestoreId(id)).toEqual({ round: 3, study: '1.2.840.1' });
    for (const bad of ['0.1.2', 'x.1.2', '3', '3.', '3.1.2/../x', `1.${'1'.repeat(65)}`]) expect(parseRestoreId(bad)).toBeUndefined();
  });

  it('lets a new round replace none, a finished one, or one stuck a day past its expected time — never one in progress', () => {
    const expectedReadyAt = new Date(now.getTime() - HOUR).toISOString();
    expect(replaceable(undefined, now)).toBe(true);
    expect(replaceable({ status: 'COMPLETED', expectedReadyAt }, now)).toBe(true);
    expect(replaceable({ status: 'FAILED', expectedReadyAt }, now)).toBe(true);
    expect(replaceable({ status: 'IN_PROGRESS', expectedReadyAt }, now)).toBe(false);
    expect(replaceable({ status: 'IN_PROGRESS', expectedReadyAt: new Date(now.getTime() - 25 * HOUR).toISOString() }, now)).toBe(true);
  });

  it('tells the client to come back at the expected time, never sooner than a minute', () => {
    expect(retryAfterSeconds({ expectedReadyAt: new Date(now.getTime() + 5 * HOUR).toISOString() }, now)).toBe(5 * 3600);
    expect(retryAfterSeconds({ expectedReadyAt: new Date(now.getTime() + 1500).toISOString() }, now)).toBe(60);
    expect(retryAfterSeconds({ expectedReadyAt: new Date(now.getTime() - HOUR).toISOString() }, now)).toBe(60);
  });
});

describe('POST /restores bodies', () => {
  it('reads a study or a patient with an optional tier and days', () => {
    expect(parseRestoreRequest({ study: '1.2.3' })).toEqual({ scope: { study: '1.2.3' }, tier: undefined, days: undefined });
    expect(parseRestoreRequest({ patient: { id: 'P1' }, tier: 'Bulk', days: 30 })).toEqual({ scope: { patient: { id: 'P1' } }, tier: 'Bulk', days: 30 });
  });

  it.each([
    [null, /JSON object/],
    [[], /JSON object/],
    [{}, /exactly one/],
    [{ study: '1.2', patient: { id: 'P' } }, /exactly one/],
    [{ study: '1.2.x' }, /Study Instance UID/],
    [{ patient: 'P1' }, /patient must be/],
    [{ patient: { id: '' } }, /patient must be/],
    [{ study: '1.2', tier: 'Fast' }, /tier must be/],
    [{ study: '1.2', days: 0 }, /days/],
    [{ study: '1.2', days: 1.5 }, /days/],
    [{ study: '1.2', hold: 'h1' }, /unknown field "hold"/],
  ])('refuses %j with a clear 400', (body, message) => {
    expect(() => parseRestoreRequest(body)).toThrow(message);
  });
});

describe('study and series availability from cold counts', () => {
  it('counts an archived instance until a restored copy exists', () => {
    expect(coldContribution('GLACIER', false)).toEqual({ nearline: 1, offline: 0 });
    expect(coldContribution('DEEP_ARCHIVE', false)).toEqual({ nearline: 0, offline: 1 });
    expect(coldContribution('DEEP_ARCHIVE', true)).toEqual({ nearline: 0, offline: 0 });
    expect(coldContribution('GLACIER_IR', false)).toEqual({ nearline: 0, offline: 0 });
  });

  it('is the least available of the instances', () => {
    expect(aggregateAvailability({})).toBe('ONLINE');
    expect(aggregateAvailability({ nearline: 0, offline: 0 })).toBe('ONLINE');
    expect(aggregateAvailability({ nearline: 2, offline: 0 })).toBe('NEARLINE');
    expect(aggregateAvailability({ nearline: 2, offline: 1 })).toBe('OFFLINE');
  });
});

describe('prior selection', () => {
  const current: StudySummary = { study: 'new', studyDate: '20300101', modalities: ['CT'], bodyParts: ['CHEST'] };
  const study = (id: string, studyDate: string, modalities: string[], bodyParts: string[] = []): StudySummary => ({ study: id, studyDate, modalities, bodyParts });
  const candidates = [
    study('ct-2029', '20290101', ['CT'], ['CHEST']),
    study('ct-2028-head', '20280101', ['CT', 'SR'], ['HEAD']),
    study('mr-2029', '20290601', ['MR'], ['CHEST']),
    study('ct-2026', '20261231', ['CT'], ['CHEST']),
    study('ct-2027', '20270102', ['CT'], ['CHEST']),
    study('ct-later', '20300601', ['CT'], ['CHEST']),
    study('undated', '', ['CT'], ['CHEST']),
    study('new', '20300101', ['CT'], ['CHEST']),
  ];

  it('keeps earlier studies within the window, of a shared modality, newest first', () => {
    expect(selectPriors(current, candidates, { within: '3y', sameModality: true })).toEqual(['ct-2029', 'ct-2028-head', 'ct-2027']);
  });

  it('narrows to a shared body part, widens to any modality, and caps the count', () => {
    expect(selectPriors(current, candidates, { within: '3y', sameModality: true, sameBodyPart: true })).toEqual(['ct-2029', 'ct-2027']);
    expect(selectPriors(current, candidates, { within: '3y', maxStudies: 2 })).toEqual(['mr-2029', 'ct-2029']);
  });

  it('selects nothing for a study without a date', () => {
    expect(selectPriors({ ...current, studyDate: '' }, candidates, { within: '10y' })).toEqual([]);
  });
});
