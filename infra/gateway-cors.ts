/**
 * The API gateway's side of the one CORS policy (lambdas/core/cors-policy.ts): what its
 * preflights and its own error responses say under the `allowedOrigins` setting. The CDK
 * construct (infra/constructs/dicomweb-api.ts) builds the template from these, and the local
 * gateway (infra/local/gateway-cors.ts) answers from the same values, so the two cannot drift.
 */
import { CORS_POLICY } from '#core/cors-policy.ts';

/** The preflight options of every resource (CDK's `defaultCorsPreflightOptions`, seconds instead of a Duration). */
export interface PreflightOptions {
  readonly allowOrigins: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly allowMethods: readonly string[];
  readonly maxAgeSeconds: number;
}

export function preflightOptions(allowedOrigins: readonly string[]): PreflightOptions {
  return {
    allowOrigins: [...allowedOrigins],
    allowHeaders: [...CORS_POLICY.allowHeaders],
    allowMethods: [...CORS_POLICY.allowMethods],
    maxAgeSeconds: CORS_POLICY.maxAgeSeconds,
  };
}

/**
 * CORS headers on API Gateway's own errors (401, 404, 413, 5xx). They are static, so they can
 * name one origin (or `*`) only: with several allowed origins they name none rather than widen
 * the policy, and browsers see a CORS error instead of the status.
 */
export function gatewayErrorCorsHeaders(allowedOrigins: readonly string[]): Record<string, string> {
  const [origin] = allowedOrigins;
  return {
    ...(allowedOrigins.length === 1 ? { 'Access-Control-Allow-Origin': origin! } : {}),
    ...(origin === '*' ? {} : { Vary: 'Origin' }),
    'Access-Control-Expose-Headers': CORS_POLICY.exposeHeaders.join(','),
  };
}
