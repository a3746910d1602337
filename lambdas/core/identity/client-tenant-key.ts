/** The clients table (docs/security.md, "Tenant model"): one item per app client, read by GetItem. */
export const clientTenantKey = (clientId: string) => ({ pk: `CLIENT#${clientId}`, sk: 'TENANT' });
