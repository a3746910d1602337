/**
 * UIDs as PS3.5 §9.1 defines them, checked where they enter and never rewritten (issue 8: a
 * lenient reader made `…1.1x` the UID of another instance). Expectations are written out here,
 * not derived from the module's expression.
 */
import { describe, expect, it } from 'vitest';
import { isUid, MAX_UID_LENGTH, quoteUid, uidProblem } from '#core/dicom/uid.ts';

describe('UID syntax (PS3.5 §9.1)', () => {
  it.each([
    ['1'],
    ['1.2'],
    ['2.25.970000.1.1'],
    ['1.2.840.10008.5.1.4.1.1.2'],
    ['1.2.840.0012'], // a leading zero: outside §9.1, written by real equipment, cannot make two UIDs collide
    ['9'.repeat(64)],
    [`1.${'2'.repeat(62)}`],
  ])('accepts %s', (uid) => {
    expect(uidProblem(uid)).toBeUndefined();
    expect(isUid(uid)).toBe(true);
  });

  it.each([
    ['x1.2', 'a letter first'],
    ['1.2x', 'a letter last'],
    ['2.25.970000.1.1x', 'the collision the attack used'],
    ['1.2/3.4', 'a slash'],
    ['%2e%2e', 'an encoded dot-segment'],
    ['..', 'dots only'],
    ['.1.2', 'a leading dot'],
    ['1.2.', 'a trailing dot'],
    ['1..2', 'an empty component'],
    ['1. 2', 'a space'],
    [' 1.2', 'a leading space'],
    ['1.2\0', 'a NUL (DICOM pads UIDs with it; the reader strips it first)'],
    ['1.2\n', 'a newline'],
    ['١.٢', 'non-ASCII digits'],
  ])('refuses %j (%s), naming the characters', (uid) => {
    expect(uidProblem(uid)).toBe('has characters other than digits and single dots between them');
    expect(isUid(uid)).toBe(false);
  });

  it('refuses the empty string and anything over 64 characters, saying so', () => {
    expect(MAX_UID_LENGTH).toBe(64);
    expect(uidProblem('')).toBe('is empty');
    expect(isUid('')).toBe(false);
    expect(uidProblem('9'.repeat(65))).toBe('is 65 characters long (at most 64)');
    expect(uidProblem(`1.${'2'.repeat(63)}`)).toBe('is 65 characters long (at most 64)');
    expect(isUid('9'.repeat(65))).toBe(false);
  });
});

describe('quoteUid', () => {
  it('quotes a UID as it is when it is printable and short', () => {
    expect(quoteUid('1.2.3')).toBe('"1.2.3"');
    expect(quoteUid('x'.repeat(70))).toBe(`"${'x'.repeat(70)}"`);
  });

  it('replaces what is not printable ASCII with "?", one for each', () => {
    expect(quoteUid('1.2\u00003\n')).toBe('"1.2?3?"');
    expect(quoteUid('é')).toBe('"?"');
  });

  it('cuts what is longer than 70 characters to 70 and marks the cut', () => {
    expect(quoteUid('1'.repeat(71))).toBe(`"${'1'.repeat(70)}..."`);
    expect(quoteUid(`${'2'.repeat(70)}abc`)).toBe(`"${'2'.repeat(70)}..."`);
  });
});
