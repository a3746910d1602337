import { describe, expect, it } from 'vitest';
import { compileFilter } from '#core/qido/matching.ts';

const pn = (value: string, fuzzy = false) => compileFilter({ tag: '00100010', keyword: 'PatientName', vr: 'PN', path: [], value }, fuzzy)!;
const named = (alphabetic: string) => ({ '00100010': { vr: 'PN', Value: [{ Alphabetic: alphabetic }] } });

describe('Function: compileFilter — PN wildcards (PS3.4 C.2.2.2.4)', () => {
  it('It should let ? stand for exactly one character and anchor both ends of the pattern', () => {
    expect(pn('SMITH?JOHN')(named('SMITH^JOHN'))).toBe(true);
    expect(pn('SMITH?JOHN')(named('SMITH^JOHNSON'))).toBe(false);
    expect(pn('SMITH?JOHN')(named('XSMITH^JOHN'))).toBe(false);
    expect(pn('SMITH?JOHN')(named('SMITH^^JOHN'))).toBe(false);
  });

  it('It should let * stand for any run, including none, ignoring case', () => {
    expect(pn('doe^j*')(named('DOE^JOHN'))).toBe(true);
    expect(pn('doe^j*')(named('DOE^J'))).toBe(true);
    expect(pn('doe^j*')(named('DOEX^JOHN'))).toBe(false);
    expect(pn('*^JOHN')(named('SMITH^JOHNNY'))).toBe(false);
  });

  it('It should treat regular-expression characters in a pattern literally', () => {
    expect(pn('O.BRIEN*')(named('O.BRIEN^PAT'))).toBe(true);
    expect(pn('O.BRIEN*')(named('OXBRIEN^PAT'))).toBe(false);
  });
});

describe('Function: lookupAttribute', () => {
  it('It should know keywords and tags, and nothing that is merely a property of every object', async () => {
    const { lookupAttribute } = await import('#core/dicom/dictionary.ts');
    expect(lookupAttribute('PatientName')).toEqual({ tag: '00100010', keyword: 'PatientName', vr: 'PN' });
    for (const name of ['valueOf', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) expect(lookupAttribute(name), name).toBeUndefined();
  });
});
