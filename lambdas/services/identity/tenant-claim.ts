/**
 * The `tenant` claim of an app client's access tokens: the tenant the clients table assigns it.
 * A client with no valid tenant gets no token (fail closed).
 */
import { ForbiddenError } from '#core/errors.ts';
import { isTenantId } from '#core/identity/tenant-id.ts';
import { tenantOfClient } from '#adapters/identity/client-tenants.ts';

export async function tenantClaimOf(clientId: string): Promise<string> {
  const tenant = await tenantOfClient(clientId);
  if (!tenant || !isTenantId(tenant)) throw new ForbiddenError(`app client ${clientId} has no tenant (docs/security.md)`);
  return tenant;
}
