/**
 * The identity core's small rules, each pinned here directly (the mutation run found them
 * reached only through the integration tests): tenant ids that cannot splice keys, Strata's
 * own scopes among a token's, and the clients table's key.
 */
import { describe, expect, it } from 'vitest';
import { clientTenantKey } from '#core/identity/client-tenant-key.ts';
import { RESOURCE_SERVER, strataScopes } from '#core/identity/scopes.ts';
import { isTenantId } from '#core/identity/tenant-id.ts';

describe('Identity core', () => {
  it('takes as tenant ids lowercase letters, digits and inner hyphens, 1 to 63 characters, and nothing else', () => {
    for (const id of ['a', '7', 'default', 'st-marys', 'a1-b2-c3', 'x'.repeat(63), `a${'-'.repeat(61)}b`]) expect(isTenantId(id), id).toBe(true);
    const spliced = ['', '-a', 'a-', 'A', 'Default', 'a_b', 'a/b', 'a#b', 'a b', 'a.b', 'x'.repeat(64), 'ok/', '/ok', 'ok#', '#ok', 'ok\n', 'é'];
    for (const id of spliced) expect(isTenantId(id), JSON.stringify(id)).toBe(false);
  });

  it("counts only Strata's resource-server scopes, without their prefix", () => {
    expect(RESOURCE_SERVER).toBe('strata');
    expect(strataScopes('strata/dicom.read other/admin admin strata/admin strataX/dicom.write strata/')).toEqual(['dicom.read', 'admin', '']);
    expect(strataScopes(undefined)).toEqual([]);
    expect(strataScopes('')).toEqual([]);
    expect(strataScopes('other/admin strata/admin', 'other')).toEqual(['admin']);
  });

  it('keys a client in the clients table by its id', () => {
    expect(clientTenantKey('5b1c')).toEqual({ pk: 'CLIENT#5b1c', sk: 'TENANT' });
    expect(clientTenantKey('a').pk).not.toBe(clientTenantKey('b').pk);
  });
});
