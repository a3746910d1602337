/**
 * Which tenants a maintenance run covers: the one an administrator started it for, or — on the
 * schedule — every tenant that holds anything. The usage balances (docs/finance.md) have one
 * item per tenant × tier × modality, written in the transaction of every index write, so they
 * are the tenant register without a scan. A tenant whose every write crashed before its index
 * entry has no balance yet: its administrator's own run sweeps it.
 */
import { balances } from '#adapters/finance/usage-store.ts';

export async function tenantsToMaintain(requested: string | undefined): Promise<string[]> {
  if (requested !== undefined) return [requested];
  return [...new Set((await balances()).map((row) => row.tenant))].sort();
}
