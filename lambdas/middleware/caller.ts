/**
 * Who is calling: the identity API Gateway's Cognito authorizer (or, locally, the local gateway's
 * verifier) put on the request as token claims. Handlers take the tenant from here and never
 * from the URL or a header the client sets.
 *
 * Contract shared by every route: `requestContext.authorizer.claims` holds the verified access
 * token's claims — `client_id`, `scope` (space-separated, `<resource-server>/<scope>`), and the
 * custom `tenant` claim added by the pre-token-generation trigger.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { config } from '#lambdas/config.ts';

export interface Caller {
  /** The OAuth2 client (Cognito app client id) the token was issued to. */
  readonly clientId: string;
  /** The tenant whose data this caller may see. */
  readonly tenant: string;
  /** Scopes without their resource-server prefix (`dicom.read`, …). */
  readonly scopes: readonly string[];
}

type Claims = Record<string, string | undefined>;

export function callerOf(event: APIGatewayProxyEvent): Caller {
  const claims = (event.requestContext.authorizer?.claims ?? {}) as Claims;
  const scopes = (claims.scope ?? '').split(' ').filter(Boolean).map((scope) => scope.slice(scope.lastIndexOf('/') + 1));
  return {
    clientId: claims.client_id ?? 'anonymous',
    tenant: claims.tenant ?? config.defaultTenant,
    scopes,
  };
}
