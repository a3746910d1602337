import { describe, expect, it } from 'vitest';
import { carriesIdentifier, isReference, referenceOf, replaceStrings, stringsOf } from '#core/workflows/references.ts';

describe('Workflow references', () => {
  it('finds UIDs plainly, inside object keys and inside base64url cursors, and nothing else', () => {
    const study = '1.2.840.113619.2.55.3.604688119';
    for (const value of [study, `default/studies/${study}/series/1.2.3.4/x.dcm`, Buffer.from(JSON.stringify({ pk: `T#default#STUDY#${study}` })).toString('base64url'), '2.25.1234', `${study}.dcm`, `01.2.840.10008.1.2`, '1.2.3.4', '1.2', 'default/studies/1.2.3/series/1.2.4/x.dcm', 'v22.11.0']) {
      expect(carriesIdentifier(value), value).toBe(true);
    }
    for (const value of ['default', 'COMPLETED', '2026-12-02T07:00:00.000Z', 'size 1.5 MB', 'arn:aws:states:us-east-1:123456789012:stateMachine:strata-restore', 'a1b2c3d4e5f6a7b8c9d0', referenceOf('salt', study)]) {
      expect(carriesIdentifier(value), value).toBe(false);
    }
  });

  it('gives a value one reference per salt, unlike another salt\'s or another value\'s', () => {
    const reference = referenceOf('salt-a', '1.2.3.4.5');
    expect(isReference(reference)).toBe(true);
    expect(referenceOf('salt-a', '1.2.3.4.5')).toBe(reference);
    expect(referenceOf('salt-b', '1.2.3.4.5')).not.toBe(reference);
    expect(referenceOf('salt-a', '1.2.3.4.6')).not.toBe(reference);
    expect(reference).not.toContain('1.2.3.4.5');
  });

  it('replaces strings in values and keys at any depth, and leaves the rest as it was', () => {
    const state = { tenant: 't', study: '1.2.3.4.5', series: ['1.2.3.4.6', '1.2.3.4.5'], counts: { '1.2.3.4.6': 2, total: 3 }, more: true, n: 1.5 };
    const found = stringsOf(state, carriesIdentifier);
    expect([...found].sort()).toEqual(['1.2.3.4.5', '1.2.3.4.6']);
    const replaced = replaceStrings(state, new Map([...found].map((v) => [v, referenceOf('s', v)])));
    expect(JSON.stringify(replaced)).not.toMatch(/1\.2\.3\.4/);
    expect(replaced).toMatchObject({ tenant: 't', more: true, n: 1.5, counts: { total: 3 } });
    const back = replaceStrings(replaced, new Map([...found].map((v) => [referenceOf('s', v), v])));
    expect(back).toEqual(state);
  });
});
