/**
 * What a rebuild of the index needs to bring a disposition back (docs/dr.md, "What the bucket
 * carries"): a soft-deleted study's objects are behind delete markers, so the bucket keeps its
 * vault (the index items the soft delete moved, as they were) and each run's items (the run and
 * its studies' states) as records beside the run's report. The vault record is written before
 * the study's objects get their delete markers and destroyed, every version, by the purge; the
 * run's record when the recovery window opens and when the certificate is written.
 */
import { dispositionLedgerKey, encodeItems, vaultRecordKey } from '#core/dr/ledger.ts';
import { Keys } from '#core/index-keys.ts';
import { vaultItems } from '#adapters/disposition/study-vault.ts';
import { putLedgerObject } from '#adapters/dr/ledger-objects.ts';
import { partitionItems } from '#adapters/dr/restored-items.ts';

export async function recordVault(tenant: string, study: string): Promise<void> {
  await putLedgerObject(vaultRecordKey(tenant, study), encodeItems(await vaultItems(tenant, study)));
}

/**
 * A restored study's vault record becomes empty (a new version, which replicates: a delete
 * marker would not), so a rebuild tells it from a soft-deleted study even in the DR replica,
 * where the soft delete's markers never arrived and both studies' objects are current.
 */
export async function recordRestored(tenant: string, study: string): Promise<void> {
  await putLedgerObject(vaultRecordKey(tenant, study), encodeItems([]));
}

export async function recordRun(tenant: string, id: string): Promise<void> {
  await putLedgerObject(dispositionLedgerKey(tenant, id), encodeItems(await partitionItems(Keys.dispositionRun(tenant, id).pk)));
}
