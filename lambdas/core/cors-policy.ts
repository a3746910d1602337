/**
 * CORS for every response, errors included (the Fetch standard's CORS protocol): viewers run in
 * browsers and must read Warning, Content-Location, ETag and Retry-After. The gateway's own
 * responses (infra/system.ts) and the handlers' responses use this one policy.
 */
export const CORS_POLICY = {
  allowHeaders: ['Authorization', 'Content-Type', 'Accept', 'If-None-Match', 'Range', 'X-Requested-With'],
  exposeHeaders: ['Warning', 'Content-Location', 'ETag', 'Retry-After', 'Location', 'Content-Range'],
  allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
  /** How long a browser may cache a preflight's answer. */
  maxAgeSeconds: 600,
} as const;

export function corsHeaders(origin: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Expose-Headers': CORS_POLICY.exposeHeaders.join(', '),
  };
}

/**
 * The Access-Control-Allow-Origin a response carries under the configured origins (the
 * `allowedOrigins` setting): `*` when any origin may read, the request's own Origin when it is
 * on the list, else none, and the browser withholds the response as the preflight told it to.
 */
export function allowedOrigin(allowed: readonly string[], requestOrigin: string | undefined): string | undefined {
  if (allowed.includes('*')) return '*';
  return requestOrigin !== undefined && allowed.includes(requestOrigin) ? requestOrigin : undefined;
}

/** CORS headers of a response under the configured origins; `Vary: Origin` when the answer depends on it. */
export function corsHeadersFor(allowed: readonly string[], requestOrigin: string | undefined): Record<string, string> {
  const origin = allowedOrigin(allowed, requestOrigin);
  const vary: Record<string, string> = allowed.includes('*') ? {} : { Vary: 'Origin' };
  return origin ? { ...corsHeaders(origin), ...vary } : vary;
}

/**
 * The answer to a CORS preflight from `requestOrigin` under the configured origins (services that
 * answer preflights themselves, like the data plane; API Gateway answers the API's).
 */
export function preflightHeadersFor(allowed: readonly string[], requestOrigin: string | undefined): Record<string, string> {
  return {
    ...corsHeadersFor(allowed, requestOrigin),
    'Access-Control-Allow-Headers': CORS_POLICY.allowHeaders.join(','),
    'Access-Control-Allow-Methods': CORS_POLICY.allowMethods.join(','),
    'Access-Control-Max-Age': String(CORS_POLICY.maxAgeSeconds),
  };
}

/** The environment variable that carries the allowed origins to the functions (comma-separated). */
export const ALLOWED_ORIGINS_ENV = 'STRATA_ALLOWED_ORIGINS';

/** The origins a comma-separated setting lists; `*` (any origin) when it is unset or empty. */
export function parseAllowedOrigins(value: string | undefined): string[] {
  const origins = (value ?? '').split(',').map((origin) => origin.trim()).filter(Boolean);
  return origins.length ? origins : ['*'];
}
