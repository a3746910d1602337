/**
 * CORS answers of the local gateway, from the same options the CDK construct gives API
 * Gateway (infra/gateway-cors.ts). A preflight is answered as the MOCK integration CDK
 * generates for `defaultCorsPreflightOptions` answers it in AWS: 204 with static headers
 * naming the first allowed origin, overridden by the request's Origin when it is another listed
 * one (CDK's response template). A refused origin therefore gets the first allowed origin,
 * which its browser rejects, exactly as in AWS.
 */
import { gatewayErrorCorsHeaders, preflightOptions } from '#infra/gateway-cors.ts';

export interface GatewayCors {
  /** Headers of the 204 answer to an OPTIONS preflight from `origin`. */
  preflight(origin: string | undefined): Record<string, string>;
  /** Headers API Gateway adds to its own error responses (no route, too large, 5xx). */
  readonly errorHeaders: Readonly<Record<string, string>>;
}

export function gatewayCors(allowedOrigins: readonly string[]): GatewayCors {
  const options = preflightOptions(allowedOrigins);
  const [first] = options.allowOrigins;
  if (!first) throw new Error('allowedOrigins must name at least one origin');
  const fixed: Record<string, string> = {
    'Access-Control-Allow-Headers': options.allowHeaders.join(','),
    ...(first === '*' ? {} : { Vary: 'Origin' }),
    'Access-Control-Allow-Methods': options.allowMethods.join(','),
    'Access-Control-Max-Age': String(options.maxAgeSeconds),
  };
  const others = options.allowOrigins.slice(1);
  return {
    preflight: (origin) => ({ ...fixed, 'Access-Control-Allow-Origin': origin !== undefined && others.includes(origin) ? origin : first }),
    errorHeaders: gatewayErrorCorsHeaders(allowedOrigins),
  };
}
