/** Which tenant an OAuth2 app client belongs to: one GetItem on the clients table. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { clientTenantKey } from '#core/identity/client-tenant-key.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';

export async function tenantOfClient(clientId: string): Promise<string | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: config.clientsTable(), Key: clientTenantKey(clientId), ConsistentRead: true }));
  return typeof Item?.tenant === 'string' ? Item.tenant : undefined;
}
