/**
 * The rules every verifier outside API Gateway applies to a verified access token
 * (core/identity/access-token.ts): which header carries a token, and what a verified payload
 * may do — written out case by case, as API Gateway's Cognito authorizer decides them.
 */
import { describe, expect, it } from 'vitest';
import { accessVerdict, bearerToken, MISSING_TOKEN } from '#core/identity/access-token.ts';

describe('The bearer token of an Authorization header', () => {
  it('is the single token after "Bearer", whatever the case of the word and the spaces around', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('BEARER   abc')).toBe('abc');
    expect(bearerToken('  Bearer abc  ')).toBe('abc');
  });

  it('is none for another scheme, no token, two tokens, or no header', () => {
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer ')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken('xBearer abc')).toBeUndefined();
    expect(bearerToken('Bearerabc')).toBeUndefined();
    expect(bearerToken('')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('is answered 401, saying how to send one, when missing', () => {
    expect(MISSING_TOKEN).toEqual({ ok: false, status: 401, message: 'Unauthorized: send Authorization: Bearer <access token>' });
  });
});

describe('The verdict on a verified token', () => {
  const access = { token_use: 'access', sub: 'client-1', client_id: 'client-1', scope: 'strata/dicom.read strata/finance.read other/admin', exp: 1_900_000_000, groups: ['a', 'b'] };

  it('refuses an ID token (or any other use) with 401, before looking at scopes', () => {
    expect(accessVerdict({ ...access, token_use: 'id' }, 'strata', 'dicom.read')).toEqual({ ok: false, status: 401, message: 'Unauthorized: not an access token' });
    expect(accessVerdict({ ...access, token_use: undefined }, 'strata', undefined)).toEqual({ ok: false, status: 401, message: 'Unauthorized: not an access token' });
  });

  it("refuses with 403, naming the scope, a token without the route's scope of this resource server", () => {
    expect(accessVerdict(access, 'strata', 'dicom.write')).toEqual({ ok: false, status: 403, message: 'Forbidden: this route needs the dicom.write scope' });
    // Another resource server's admin is not Strata's.
    expect(accessVerdict(access, 'strata', 'admin')).toMatchObject({ ok: false, status: 403 });
    // Nor is a scope of the right name without its prefix.
    expect(accessVerdict({ ...access, scope: 'dicom.read' }, 'strata', 'dicom.read')).toMatchObject({ ok: false, status: 403 });
    expect(accessVerdict({ ...access, scope: undefined }, 'strata', 'dicom.read')).toMatchObject({ ok: false, status: 403 });
  });

  it("admits a token with the route's scope, or any access token on a route without one, with its scopes unprefixed", () => {
    const verdict = accessVerdict(access, 'strata', 'finance.read');
    expect(verdict).toMatchObject({ ok: true, scopes: ['dicom.read', 'finance.read'] });
    expect(accessVerdict({ ...access, scope: '' }, 'strata', undefined)).toMatchObject({ ok: true, scopes: [] });
    // Another resource server's scopes, when it is the one asked about.
    expect(accessVerdict(access, 'other', 'admin')).toMatchObject({ ok: true, scopes: ['admin'] });
  });

  it('hands every claim on as a string, as API Gateway does: strings as they are, the rest as JSON', () => {
    const verdict = accessVerdict(access, 'strata', 'dicom.read');
    if (!verdict.ok) throw new Error('admitted above');
    expect(verdict.claims).toEqual({
      token_use: 'access',
      sub: 'client-1',
      client_id: 'client-1',
      scope: 'strata/dicom.read strata/finance.read other/admin',
      exp: '1900000000',
      groups: '["a","b"]',
    });
  });
});
