/**
 * The data plane's token check outside API Gateway: aws-jwt-verify against a user pool's JWKS
 * (given here instead of fetched), then the gateway's scope and claim rules. Tokens are signed
 * as Cognito signs them (RS256, kid, issuer of the pool).
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { cognitoAuthorizer } from '#adapters/identity/cognito-access-tokens.ts';

const POOL = 'us-east-1_TESTPOOL1';
const ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`;

describe('cognitoAuthorizer (aws-jwt-verify against the pool\'s JWKS)', () => {
  let poolKey: CryptoKey;
  let otherKey: CryptoKey;
  let authorize: ReturnType<typeof cognitoAuthorizer>;

  beforeAll(async () => {
    ({ privateKey: poolKey } = await generateKeyPair('RS256', { extractable: true }));
    ({ privateKey: otherKey } = await generateKeyPair('RS256', { extractable: true }));
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = await exportJWK(poolKey);
    const jwk: JWK = { ...publicJwk, kid: 'pool-key', alg: 'RS256', use: 'sig' };
    authorize = cognitoAuthorizer({ userPoolId: POOL, resourceServer: 'strata', jwks: { keys: [jwk as never] } });
  });

  const token = (claims: Record<string, unknown>, options: { key?: CryptoKey; issuer?: string; expiresIn?: number; kid?: string } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ token_use: 'access', client_id: 'client-1', scope: 'strata/dicom.write strata/dicom.read', tenant: 'north', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'pool-key' })
      .setIssuer(options.issuer ?? ISSUER)
      .setIssuedAt(now - 10)
      .setExpirationTime(now + (options.expiresIn ?? 3600))
      .sign(options.key ?? poolKey);
  };

  it('admits an access token of the pool with the route\'s scope, handing on its claims as strings', async () => {
    const verdict = await authorize(`Bearer ${await token({})}`, 'dicom.write');
    expect(verdict).toMatchObject({ ok: true, claims: { tenant: 'north', client_id: 'client-1', token_use: 'access' }, scopes: ['dicom.write', 'dicom.read'] });
  });

  it('answers 403 when the token lacks the route\'s scope', async () => {
    expect(await authorize(`Bearer ${await token({ scope: 'strata/dicom.read' })}`, 'dicom.write')).toEqual({ ok: false, status: 403, message: expect.stringContaining('dicom.write') });
    // A scope of another resource server is not this one's.
    expect(await authorize(`Bearer ${await token({ scope: 'other/dicom.write' })}`, 'dicom.write')).toMatchObject({ ok: false, status: 403 });
  });

  it('answers 401 without a bearer token, for an ID token, an expired token, another issuer or another key', async () => {
    expect(await authorize(undefined, 'dicom.read')).toMatchObject({ ok: false, status: 401 });
    expect(await authorize('Basic dXNlcjpwYXNz', 'dicom.read')).toMatchObject({ ok: false, status: 401 });
    expect(await authorize(`Bearer ${await token({ token_use: 'id' })}`, 'dicom.read')).toMatchObject({ ok: false, status: 401 });
    expect(await authorize(`Bearer ${await token({}, { expiresIn: -60 })}`, 'dicom.read')).toEqual({ ok: false, status: 401, message: 'Unauthorized: the token has expired' });
    expect(await authorize(`Bearer ${await token({}, { issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OTHERPOOL' })}`, 'dicom.read')).toMatchObject({ ok: false, status: 401 });
    expect(await authorize(`Bearer ${await token({}, { key: otherKey })}`, 'dicom.read')).toMatchObject({ ok: false, status: 401 });
    expect(await authorize('Bearer not.a.jwt', 'dicom.read')).toMatchObject({ ok: false, status: 401 });
  });
});
