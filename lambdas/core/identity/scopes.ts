/**
 * Strata's OAuth2 resource server: its scopes are `strata/<scope>`. Only scopes of this resource
 * server mean anything here — a token may also carry scopes of other resource servers in the same
 * user pool (`other/admin`), which must never count as Strata's.
 */
export const RESOURCE_SERVER = 'strata';

/** The scope that may act in any tenant (naming it with `?tenant=`), read the audit trail and use the local admin endpoints. */
export const ADMIN_SCOPE = 'admin';

/** One resource server's scopes (Strata's unless named) among a token's space-separated `scope` claim, without their prefix. */
export function strataScopes(scopeClaim: string | undefined, resourceServer: string = RESOURCE_SERVER): string[] {
  const prefix = `${resourceServer}/`;
  return (scopeClaim ?? '').split(' ').filter((scope) => scope.startsWith(prefix)).map((scope) => scope.slice(prefix.length));
}
