/**
 * The local stand-in for the Cognito user pool and API Gateway's Cognito authorizer: it issues
 * client-credentials access tokens shaped like Cognito's (client_id, `strata/<scope>` scopes,
 * token_use, the custom `tenant` claim) and verifies them on every route that declares a scope.
 *
 * The signing key is an ES256 key pair kept in the data directory (`local-signing-key.json`,
 * mode 0600), created on first use: `npm run token` and `npm start` on the same data directory
 * share it. Deleting the file rotates it (every token issued before stops verifying).
 * Signatures are checked with `jose`, with the algorithm pinned (no `alg: none`, no HS/ES swap).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, errors, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { accessVerdict, bearerToken, type Verdict } from '#core/identity/access-token.ts';
import { system } from '#infra/system.ts';

const RESOURCE_SERVER_ID = system.api.resourceServer;

export const LOCAL_ISSUER = 'urn:strata:local-identity';
export const SIGNING_KEY_FILE = 'local-signing-key.json';
const ALGORITHM = 'ES256';
/** Cognito's default access-token lifetime. */
const DEFAULT_TTL_SECONDS = 3600;

export interface TokenRequest {
  tenant: string | undefined;
  scopes: readonly string[];
  /** The app client id (Cognito's are 26 characters; any string here). */
  clientId?: string;
  ttlSeconds?: number;
}

export type { AuthorizerClaims, Verdict } from '#core/identity/access-token.ts';

export class LocalIdentity {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    private readonly kid: string,
  ) {}

  /** The data directory's signing key, created (exclusively, so two processes agree) when absent. */
  static async open(dataDir: string): Promise<LocalIdentity> {
    const file = join(dataDir, SIGNING_KEY_FILE);
    let jwk: JWK;
    try {
      jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
      jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: ALGORITHM };
      try {
        writeFileSync(file, JSON.stringify(jwk), { flag: 'wx', mode: 0o600 });
      } catch (raced) {
        if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
        jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
      }
    }
    const { d: _private, ...publicJwk } = jwk;
    return new LocalIdentity(
      (await importJWK(jwk, ALGORITHM)) as CryptoKey,
      (await importJWK(publicJwk, ALGORITHM)) as CryptoKey,
      jwk.kid ?? 'local',
    );
  }

  /** A client-credentials access token as Cognito issues it, plus the trigger's tenant claim. */
  async issue(request: TokenRequest): Promise<string> {
    const clientId = request.clientId ?? `local-${request.tenant ?? 'no-tenant'}`;
    const payload: JWTPayload = {
      client_id: clientId,
      token_use: 'access',
      scope: request.scopes.map((scope) => `${RESOURCE_SERVER_ID}/${scope}`).join(' '),
      ...(request.tenant === undefined ? {} : { tenant: request.tenant }),
    };
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(payload)
      .setProtectedHeader({ alg: ALGORITHM, kid: this.kid })
      .setIssuer(LOCAL_ISSUER)
      .setSubject(clientId)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + (request.ttlSeconds ?? DEFAULT_TTL_SECONDS))
      .sign(this.privateKey);
  }

  /**
   * What the Cognito authorizer decides for a request: 401 without a valid access token from
   * this issuer (missing, malformed, wrongly signed, expired), 403 when it lacks the route's scope.
   */
  async authorize(authorization: string | undefined, requiredScope: string): Promise<Verdict> {
    const token = bearerToken(authorization);
    if (!token) return { ok: false, status: 401, message: 'Unauthorized: send Authorization: Bearer <access token> (npm run token)' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.publicKey, { issuer: LOCAL_ISSUER, algorithms: [ALGORITHM], requiredClaims: ['exp', 'client_id'] }));
    } catch (error) {
      const reason = error instanceof errors.JWTExpired ? 'the token has expired' : error instanceof errors.JOSEError ? 'the token does not verify' : 'the token is malformed';
      return { ok: false, status: 401, message: `Unauthorized: ${reason}` };
    }
    return accessVerdict(payload, RESOURCE_SERVER_ID, requiredScope);
  }
}
