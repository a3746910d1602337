import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  carriesIdentifier,
  identifiersIn,
  isReference,
  opaqueName,
  REDACTED,
  redactIdentifiers,
  referenceExpiry,
  REFERENCE_LIFETIME_DAYS,
  REFERENCE_PARTITION_PATTERNS,
  referenceOf,
  replaceStrings,
  replaceWithin,
  stringsOf,
} from '#core/workflows/references.ts';
import { Keys } from '#core/index-keys.ts';

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

  it('finds the UIDs inside a free text (an error message, a stack trace), and replaces them there, longest first', () => {
    const study = '1.2.840.113619.2.55.3.604688119';
    const cursor = Buffer.from(JSON.stringify({ pk: `T#default#S#${study}` })).toString('base64url');
    const message = `instance ${study}.7 of default/studies/${study}/series/1.2.3/x.dcm unreadable; resume at ${cursor}\n    at verify (/var/task/index.mjs:12:34)`;
    expect([...identifiersIn(message)].sort()).toEqual([`${study}.7`, study, '1.2.3', cursor].sort());
    // A line number, a version, a size and a reference are not identifiers; a short UID alone is one.
    expect(identifiersIn(`failed after 3 attempts at 12:34, node v22, 1.5 MB, ${referenceOf('s', study)}`)).toEqual(new Set());
    expect(identifiersIn('1.2')).toEqual(new Set(['1.2']));
    const cleaned = replaceWithin(message, new Map([...identifiersIn(message)].map((value) => [value, referenceOf('s', value)])));
    expect(cleaned).not.toMatch(/1\.2\.8|1\.2\.3/);
    expect(cleaned).not.toContain(cursor);
    // The longer UID got its own reference, not the shorter one's plus ".7".
    expect(cleaned).toContain(`instance ${referenceOf('s', `${study}.7`)} of`);
    expect(cleaned).toContain('at verify (/var/task/index.mjs:12:34)');
    expect(redactIdentifiers(`no study ${study} here`)).toBe(`no study ${REDACTED} here`);
  });

  it('names an execution by a salted hash: stable within a salt, another under another salt, no dictionary match', () => {
    const value = 'default/1.2.840.113619.2.55.3.604688119';
    expect(opaqueName('salt-a', value)).toMatch(/^[0-9a-f]{24}$/);
    expect(opaqueName('salt-a', value)).toBe(opaqueName('salt-a', value));
    expect(opaqueName('salt-b', value)).not.toBe(opaqueName('salt-a', value));
    expect(opaqueName('salt-a', value, 32)).toHaveLength(32);
    // Not the reference of the same value under the same salt, nor the unsalted hash a dictionary would find.
    expect(referenceOf('salt-a', value)).not.toContain(opaqueName('salt-a', value));
    expect(opaqueName('salt-a', value)).not.toBe(createHash('sha256').update(value).digest('hex').slice(0, 24));
  });

  it('expires a reference a Standard workflow\'s year plus the 90 days its history is kept after it was written', () => {
    expect(REFERENCE_LIFETIME_DAYS).toBe(455);
    expect(referenceExpiry(new Date('2026-01-01T00:00:00Z'))).toBe(Date.parse('2027-04-01T00:00:00Z') / 1000);
  });

  it('limits grants to the partition keys of reference and salt items, as the key builders write them', () => {
    expect(REFERENCE_PARTITION_PATTERNS).toEqual([`T#*#REF#ref:${'?'.repeat(32)}`, 'T#*#REFS']);
    expect(Keys.reference('default', referenceOf('s', '1.2.3')).pk).toMatch(/^T#default#REF#ref:[A-Za-z0-9_-]{32}$/);
    expect(Keys.referenceSalt('default').pk).toBe('T#default#REFS');
  });
});
