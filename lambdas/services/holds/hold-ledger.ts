/**
 * The hold ledger (docs/dr.md, "What the bucket carries"): each time a hold item changes in a
 * way a listing shows (placed, joined by a study at ingest, its workflow completed, released),
 * the item as it now is goes to the archive bucket under a new revision, so a rebuild of the
 * index from the bucket gives the hold back as `GET /holds` showed it. Revisions come from the
 * item itself (an atomic ADD), so concurrent writers never overwrite each other and the newest
 * revision holds the newest state; a retried step writes one more revision of the same state.
 */
import { holdLedgerKey } from '#core/dr/ledger.ts';
import { nextLedgerRevision } from '#adapters/holds/hold-store.ts';
import { putLedgerObject } from '#adapters/dr/ledger-objects.ts';

export async function recordHoldInLedger(tenant: string, holdId: string): Promise<void> {
  const now = await nextLedgerRevision(tenant, holdId);
  if (now) await putLedgerObject(holdLedgerKey(tenant, holdId, now.revision), JSON.stringify(now.hold));
}
