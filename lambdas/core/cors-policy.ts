/**
 * CORS for every response, errors included (dicomweb-checklist.md §4): viewers run in
 * browsers and must read Warning, Content-Location, ETag and Retry-After. The gateway's own
 * responses (infra/system.ts) and the handlers' responses use this one policy.
 */
export const CORS_POLICY = {
  allowHeaders: ['Authorization', 'Content-Type', 'Accept', 'If-None-Match', 'Range', 'X-Requested-With'],
  exposeHeaders: ['Warning', 'Content-Location', 'ETag', 'Retry-After', 'Location', 'Content-Range'],
  allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
} as const;

export function corsHeaders(origin: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Expose-Headers': CORS_POLICY.exposeHeaders.join(', '),
  };
}

export function preflightHeaders(origin: string): Record<string, string> {
  return {
    ...corsHeaders(origin),
    'Access-Control-Allow-Headers': CORS_POLICY.allowHeaders.join(', '),
    'Access-Control-Allow-Methods': CORS_POLICY.allowMethods.join(', '),
    'Access-Control-Max-Age': '600',
  };
}
