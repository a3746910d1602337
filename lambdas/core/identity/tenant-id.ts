/**
 * Tenant ids go into every index key (`T#<tenant>#…`) and object key (`<tenant>/…`): lowercase
 * letters, digits and inner hyphens only, so no id can splice another tenant's keys.
 */
const TENANT_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const isTenantId = (value: string): boolean => TENANT_ID.test(value);
