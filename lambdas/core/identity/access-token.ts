/**
 * What API Gateway's Cognito authorizer decides about an access token once its signature, issuer
 * and expiry have verified: the rules every verifier outside API Gateway applies the same way
 * (the local gateway's, the data plane's aws-jwt-verify), so a token means one thing everywhere.
 */

import { strataScopes } from './scopes.ts';

/** The claims as API Gateway's Cognito authorizer hands them to Lambda: every value a string. */
export type AuthorizerClaims = Record<string, string>;

export type Verdict = { ok: true; claims: AuthorizerClaims; scopes: string[] } | { ok: false; status: 401 | 403 | 503; message: string };

export const MISSING_TOKEN: Verdict = { ok: false, status: 401, message: 'Unauthorized: send Authorization: Bearer <access token>' };

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer +([^ ]+)$/i.exec(authorization?.trim() ?? '')?.[1];
}

/**
 * A verified payload's verdict: 401 unless it is an access token, 403 unless it carries the
 * route's scope (`<resourceServer>/<scope>`); otherwise its claims as strings and its scopes
 * without the resource-server prefix.
 */
export function accessVerdict(payload: Readonly<Record<string, unknown>>, resourceServer: string, requiredScope: string | undefined): Verdict {
  if (payload.token_use !== 'access') return { ok: false, status: 401, message: 'Unauthorized: not an access token' };
  const scopes = strataScopes(String(payload.scope ?? ''), resourceServer);
  if (requiredScope !== undefined && !scopes.includes(requiredScope)) {
    return { ok: false, status: 403, message: `Forbidden: this route needs the ${requiredScope} scope` };
  }
  const claims: AuthorizerClaims = {};
  for (const [name, value] of Object.entries(payload)) claims[name] = typeof value === 'string' ? value : JSON.stringify(value);
  return { ok: true, claims, scopes };
}
