/** Reading legal holds within a tenant (docs/legal-hold.md): one by id (404 when it names none), or all. */
import { NotFoundError } from '#core/errors.ts';
import type { Hold } from '#core/holds/hold.ts';
import { getHold, listHolds } from '#adapters/holds/hold-store.ts';

export async function holdOf(tenant: string, id: string): Promise<Hold> {
  const hold = await getHold(tenant, id);
  if (!hold) throw new NotFoundError(`no hold ${id}`);
  return hold;
}

export const holdsOf = (tenant: string): Promise<Hold[]> => listHolds(tenant);
