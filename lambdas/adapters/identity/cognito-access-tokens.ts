/**
 * The Cognito authorizer's decision outside API Gateway (the data plane on Fargate): the access
 * token's signature, issuer and expiry verified by aws-jwt-verify against the user pool's JWKS
 * (fetched once and cached, refetched on an unknown key id), then the same scope and claim rules
 * as the gateway (core/identity/access-token.ts).
 */
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { FetchError, JwtExpiredError } from 'aws-jwt-verify/error';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { accessVerdict, bearerToken, MISSING_TOKEN, type Verdict } from '#core/identity/access-token.ts';
import { logger } from '#lambdas/observability/logger.ts';

export interface CognitoAccessTokens {
  userPoolId: string;
  /** The OAuth2 resource server: scopes arrive as `<resourceServer>/<scope>`. */
  resourceServer: string;
  /** A JWKS to trust without fetching it (tests; air-gapped deployments). */
  jwks?: Jwks;
}

export function cognitoAuthorizer(options: CognitoAccessTokens): (authorization: string | undefined, scope: string) => Promise<Verdict> {
  // Any app client of the pool: the pool issues tokens only to the clients an administrator created.
  const verifier = CognitoJwtVerifier.create({ userPoolId: options.userPoolId, tokenUse: 'access', clientId: null });
  if (options.jwks) verifier.cacheJwks(options.jwks);
  return async (authorization, scope) => {
    const token = bearerToken(authorization);
    if (!token) return MISSING_TOKEN;
    let payload: Record<string, unknown>;
    try {
      payload = await verifier.verify(token);
    } catch (error) {
      if (error instanceof FetchError) {
        logger.error('the user pool JWKS could not be fetched', { error });
        return { ok: false, status: 503, message: 'Service unavailable: the identity provider cannot be reached; retry later' };
      }
      return { ok: false, status: 401, message: `Unauthorized: ${error instanceof JwtExpiredError ? 'the token has expired' : 'the token does not verify'}` };
    }
    return accessVerdict(payload, options.resourceServer, scope);
  };
}
