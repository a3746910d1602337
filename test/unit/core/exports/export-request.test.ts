import { describe, expect, it } from 'vitest';
import { BadRequestError } from '#core/errors.ts';
import { exportView, isExportId, MAX_QUERY, parseExportRequest, EMPTY_PROGRESS } from '#core/exports/export.ts';

const HOLD = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('A request to export', () => {
  it('names a hold or a QIDO query, with an optional matter', () => {
    expect(parseExportRequest({ hold: HOLD })).toEqual({ scope: { hold: HOLD } });
    expect(parseExportRequest({ query: 'PatientID=P1', matter: 'Doe' })).toEqual({ scope: { query: 'PatientID=P1' }, matter: 'Doe' });
  });

  it.each([
    ['not an object', 'x'],
    ['an array', [HOLD]],
    ['neither', {}],
    ['both', { hold: HOLD, query: 'PatientID=1' }],
    ['a hold that is no hold id', { hold: 'abc' }],
    ['an empty query', { query: ' ' }],
    ['a query too long to sign', { query: `PatientID=${'x'.repeat(MAX_QUERY)}` }],
    ['a query with control characters', { query: 'PatientID=1\n' }],
    ['an empty matter', { hold: HOLD, matter: '' }],
    ['an unknown field', { hold: HOLD, tenant: 'other' }],
  ])('refuses %s with 400', (_name, body) => {
    expect(() => parseExportRequest(body)).toThrow(BadRequestError);
  });

  it('shows no tenant and counts studies in its public view; ids are UUIDs', () => {
    const view = exportView({ id: HOLD, tenant: 't', status: 'RUNNING', scope: { hold: HOLD }, createdAt: 'x', createdBy: 'c', studies: ['1.1', '1.2'], progress: EMPTY_PROGRESS });
    expect(view).not.toHaveProperty('tenant');
    expect(view).not.toHaveProperty('studies');
    expect(view.studyCount).toBe(2);
    expect([isExportId(HOLD), isExportId('1.2.3'), isExportId(`${HOLD}x`)]).toEqual([true, false, false]);
  });
});
