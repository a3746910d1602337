/**
 * Entity tags (RFC 9110 §8.8.3 and §13.1.2 If-None-Match) and the fixity audit's verdict, with
 * expected values written out: a changed tag or a wrong verdict would serve stale images or
 * call a damaged study intact.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contentEtag, matchesIfNoneMatch } from '#core/dicomweb/etag.ts';
import { summariseFixity, type SeriesFixity } from '#core/fixity/series-fixity.ts';

describe('Entity tags', () => {
  it('is a strong quoted tag of 32 hex digits, the SHA-256 of the identifiers joined by |', () => {
    const expected = createHash('sha256').update('study|application/dicom|abc').digest('hex').slice(0, 32);
    expect(contentEtag(['study', 'application/dicom', 'abc'])).toBe(`"${expected}"`);
    expect(contentEtag(['a', 'b'])).not.toBe(contentEtag(['ab']));
    expect(contentEtag(['a', 'b'])).not.toBe(contentEtag(['b', 'a']));
  });

  it('matches If-None-Match by any listed tag, weak or strong, or *', () => {
    const etag = '"0123"';
    expect(matchesIfNoneMatch(undefined, etag)).toBe(false);
    expect(matchesIfNoneMatch('', etag)).toBe(false);
    expect(matchesIfNoneMatch('"0123"', etag)).toBe(true);
    expect(matchesIfNoneMatch('W/"0123"', etag)).toBe(true);
    expect(matchesIfNoneMatch('"other", W/"0123"', etag)).toBe(true);
    expect(matchesIfNoneMatch(' "0123" ', etag)).toBe(true);
    expect(matchesIfNoneMatch('*', etag)).toBe(true);
    expect(matchesIfNoneMatch('"other"', etag)).toBe(false);
    expect(matchesIfNoneMatch('"other", "more"', etag)).toBe(false);
    expect(matchesIfNoneMatch('0123', etag)).toBe(false);
    expect(matchesIfNoneMatch('xW/"0123"', etag)).toBe(false);
    // Only a leading W/ marks a weak tag; one inside the quotes is part of the tag.
    expect(matchesIfNoneMatch('"0W/123"', etag)).toBe(false);
  });
});

describe('The fixity verdict', () => {
  const series = (extra: Partial<SeriesFixity>): SeriesFixity => ({ series: 's', verified: 0, mismatched: [], missing: [], cold: 0, ...extra });

  it('is INTACT when every instance was verified, and sums the counts', () => {
    expect(summariseFixity([series({ series: 'a', verified: 2 }), series({ series: 'b', verified: 3 })])).toEqual({
      status: 'INTACT',
      verified: 5,
      mismatched: [],
      missing: [],
      cold: 0,
      unverifiableSeries: [],
    });
    expect(summariseFixity([]).status).toBe('INTACT');
  });

  it('is DAMAGED when an instance changed or is missing, even if others were cold or unverifiable', () => {
    expect(summariseFixity([series({ mismatched: ['x'], cold: 1 }), series({ missing: ['y'], status: 'UNVERIFIABLE' })])).toEqual({
      status: 'DAMAGED',
      verified: 0,
      mismatched: ['x'],
      missing: ['y'],
      cold: 1,
      unverifiableSeries: ['s'],
    });
    expect(summariseFixity([series({ missing: ['y'] })]).status).toBe('DAMAGED');
    expect(summariseFixity([series({ mismatched: ['x'] })]).status).toBe('DAMAGED');
  });

  it('is INCOMPLETE when some instances were cold or a series could not be verified', () => {
    expect(summariseFixity([series({ verified: 1 }), series({ cold: 2 }), series({ cold: 1 })])).toMatchObject({ status: 'INCOMPLETE', cold: 3, verified: 1 });
    expect(summariseFixity([series({ series: 'u', status: 'UNVERIFIABLE' }), series({ series: 'v', status: 'OK' })])).toMatchObject({ status: 'INCOMPLETE', unverifiableSeries: ['u'] });
  });
});
