import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringifyDicomJson } from '#core/dicom/dicom-json-text.ts';
import { objectKeySequences, tagKeysAscending } from '#test/helpers/json-key-order.ts';

describe('DICOM JSON text', () => {
  it('writes tag keys in ascending order, integer-like ones included', () => {
    const text = stringifyDicomJson([{ '14550010': { vr: 'LO', Value: ['x'] }, '00100010': { vr: 'PN', Value: [{ Alphabetic: 'A^B' }] } }]);
    expect(objectKeySequences(text).find((keys) => keys.includes('00100010'))).toEqual(['00100010', '14550010']);
    expect(tagKeysAscending(text)).toBe(true);
  });

  it('means the same as JSON.stringify for any value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(stringifyDicomJson(value))).toEqual(JSON.parse(JSON.stringify(value) ?? 'null'));
      }),
    );
  });
});
