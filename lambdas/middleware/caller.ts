/**
 * Who is calling: the claims API Gateway's Cognito authorizer (or, locally, the local gateway's
 * verifier) put on the request after verifying the bearer token. Handlers take the tenant from
 * here and never from the URL or a header the client sets (docs/security.md, "Tenant model").
 *
 * Contract shared by every route: `requestContext.authorizer.claims` holds the verified access
 * token's claims — `client_id`, `scope` (space-separated, `<resource-server>/<scope>`), and the
 * custom `tenant` claim added by the pre-token-generation trigger. A request without them was
 * not authorized (401); a token without a usable tenant may see nothing (403).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BadRequestError, ForbiddenError, UnauthorizedError } from '#core/errors.ts';
import { isTenantId } from '#core/identity/tenant-id.ts';
import { ADMIN_SCOPE, strataScopes } from '#core/identity/scopes.ts';
import type { ResourceScope } from '#core/index-keys.ts';
import { pathParameter, queryOf } from './http-request.ts';

export interface Caller {
  /** The OAuth2 client (Cognito app client id) the token was issued to. */
  readonly clientId: string;
  /** The tenant whose data this caller may see. */
  readonly tenant: string;
  /** Scopes without their resource-server prefix (`dicom.read`, …). */
  readonly scopes: readonly string[];
}

export { ADMIN_SCOPE };
/** The query parameter an administrator names another tenant with; refused to anyone else. */
export const TENANT_PARAMETER = 'tenant';


type Claims = Record<string, string | undefined>;

export function callerOf(event: APIGatewayProxyEvent): Caller {
  const claims = event.requestContext?.authorizer?.claims as Claims | undefined;
  if (!claims?.client_id) throw new UnauthorizedError('this route needs a bearer token (Authorization: Bearer <access token>)');
  // Only strata/… scopes: another resource server's `admin` is not Strata's.
  const scopes = strataScopes(claims.scope);
  const tenant = claims.tenant;
  if (!tenant) throw new ForbiddenError(`client ${claims.client_id} has no tenant: its token carries no tenant claim (docs/security.md)`);
  if (!isTenantId(tenant)) throw new ForbiddenError('the token\'s tenant claim is not a valid tenant id');
  return { clientId: claims.client_id, tenant, scopes };
}

/**
 * The tenant a request acts in: the caller's own, or — for the admin scope only — the one
 * named by `?tenant=`. Anyone else naming a tenant is refused rather than silently ignored.
 */
export function tenantOf(event: APIGatewayProxyEvent): string {
  const caller = callerOf(event);
  const named = queryOf(event).filter(([name]) => name === TENANT_PARAMETER).map(([, value]) => value);
  if (named.length === 0) return caller.tenant;
  if (!caller.scopes.includes(ADMIN_SCOPE)) throw new ForbiddenError(`only the ${ADMIN_SCOPE} scope may name a tenant (?${TENANT_PARAMETER}=)`);
  if (named.length > 1 || !isTenantId(named[0]!)) throw new BadRequestError(`?${TENANT_PARAMETER}= must name one valid tenant id`);
  return named[0]!;
}

/** The study, series or instance the path names, in the tenant the request acts in. */
export function resourceScopeOf(event: APIGatewayProxyEvent): ResourceScope {
  return {
    tenant: tenantOf(event),
    study: pathParameter(event, 'study')!,
    series: pathParameter(event, 'series'),
    sop: pathParameter(event, 'instance'),
  };
}
