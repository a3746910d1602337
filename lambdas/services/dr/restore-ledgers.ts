/**
 * The second half of a rebuild (docs/dr.md, "What the bucket carries"): once every instance is
 * indexed from its own object, what no object says of itself comes back from the records the
 * bucket keeps for it (core/dr/ledger.ts):
 * - **legal holds**: each hold's newest ledger revision is put back as it was listed; an active
 *   hold is registered again (its scope and studies: ingest, DELETE and disposition see it), marked
 *   on each instance it covers, and each of its objects noted as counted (a duplicate push then
 *   counts nothing twice). Released holds keep their record only: their workflow had let go.
 * - **dispositions**: each run's record puts back the run and its studies' states; a study it
 *   soft-deleted gets its vault back from the study's record (hidden from QIDO and WADO,
 *   restorable in its window, purged after it by the run's own workflow) with its name tokens —
 *   hidden again if the walk indexed it, as from the DR replica, where its objects are current; a
 *   study restored since (its vault record emptied) is left live and marked restored; and a
 *   purged study gets its tombstone (WADO answers 410).
 * Every put is conditional on the key being free, every registration a set ADD: a repeated run
 * changes nothing.
 */
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { decodeItems, DISPOSITION_PREFIX, holdLedgerEntry, HOLD_LEDGER_PREFIX, isDispositionLedgerKey, newestHoldRevisions, vaultRecordKey } from '#core/dr/ledger.ts';
import type { Hold } from '#core/holds/hold.ts';
import { Keys } from '#core/index-keys.ts';
import { listLedgerKeys, readLedgerObject } from '#adapters/dr/ledger-objects.ts';
import { putItemsIfAbsent } from '#adapters/dr/restored-items.ts';
import { instancesToHold, markCounted, markInstance, putHold } from '#adapters/holds/hold-store.ts';
import { setStudyState } from '#adapters/disposition/disposition-store.ts';
import { hideStudy, studyItemAnywhere } from '#adapters/disposition/study-vault.ts';
import { putTombstone } from '#adapters/deletion/deletion-store.ts';
import { nameTokenItems } from '#adapters/study-transaction.ts';
import { register } from '#services/holds/place-hold.ts';

export interface LedgerRestore {
  /** Holds put back (`already`: in the index before this run). */
  holds: { restored: number; already: number; active: number };
  dispositions: { runs: number; softDeleted: number; restoredSince: number; purged: number };
  /** Records that could not be applied, with why. */
  unapplied: { key: string; reason: string }[];
}

export async function restoreFromLedgers(): Promise<LedgerRestore> {
  const outcome: LedgerRestore = { holds: { restored: 0, already: 0, active: 0 }, dispositions: { runs: 0, softDeleted: 0, restoredSince: 0, purged: 0 }, unapplied: [] };
  for (const key of newestHoldRevisions(await listLedgerKeys(HOLD_LEDGER_PREFIX))) {
    await restoreHold(key, outcome).catch((error: Error) => outcome.unapplied.push({ key, reason: `failed: ${error.name}: ${error.message}` }));
  }
  for (const key of (await listLedgerKeys(DISPOSITION_PREFIX)).filter(isDispositionLedgerKey)) {
    await restoreDisposition(key, outcome).catch((error: Error) => outcome.unapplied.push({ key, reason: `failed: ${error.name}: ${error.message}` }));
  }
  return outcome;
}

async function restoreHold(key: string, outcome: LedgerRestore): Promise<void> {
  const text = await readLedgerObject(key);
  if (!text) return;
  const hold = JSON.parse(text) as Hold;
  const { revision } = holdLedgerEntry(key)!;
  if (await putHold(hold, revision)) outcome.holds.restored++;
  else outcome.holds.already++;
  if (hold.status !== 'active') return;
  outcome.holds.active++;
  await register(hold, true);
  for (const study of hold.studies) {
    for (const instance of await instancesToHold(hold.tenant, study)) {
      await markInstance(instance.id, hold.id);
      for (const version of instance.versions) await markCounted(hold.tenant, hold.id, version.objectKey);
    }
  }
}

async function restoreDisposition(key: string, outcome: LedgerRestore): Promise<void> {
  const text = await readLedgerObject(key);
  if (!text) return;
  const items = decodeItems(text);
  const run = items.find((item) => item.sk === 'RUN');
  if (!run) return void outcome.unapplied.push({ key, reason: 'no run item in the record' });
  const tenant = String(run.tenant);
  const id = String(run.id);
  await putItemsIfAbsent(items);
  outcome.dispositions.runs++;
  for (const entry of items.filter((item) => String(item.sk).startsWith('STUDY#'))) {
    const study = String(entry.study);
    if (entry.state === 'purged') {
      await putTombstone('study', { tenant, study }, String(entry.purgedAt));
      outcome.dispositions.purged++;
    }
    if (entry.state !== 'soft-deleted') continue;
    const vault = await readLedgerObject(vaultRecordKey(tenant, study));
    const vaultItems = vault ? decodeItems(vault).filter((item) => item.disposition === id) : [];
    const now = await studyItemAnywhere(tenant, study);
    if (!vaultItems.length && now && !now.hidden) {
      // Restored after the run's record was written (its vault record emptied): its objects are current, the walk indexed it.
      await setStudyState(tenant, id, study, ['soft-deleted'], 'restored');
      outcome.dispositions.restoredSince++;
      continue;
    }
    if (!vaultItems.length) {
      // Destroyed after the record was written: the purge took the vault's record with the objects.
      await setStudyState(tenant, id, study, ['soft-deleted'], 'purged');
      await putTombstone('study', { tenant, study }, String(run.recoverUntil ?? ''));
      outcome.dispositions.purged++;
      continue;
    }
    // Still soft-deleted. From the DR replica (which never got the delete markers) the walk indexed it as live: hide it again.
    if (now && !now.hidden) await hideStudy(tenant, study, id);
    await putItemsIfAbsent(vaultItems);
    // A soft delete leaves the study's name tokens (the purge drops them); QIDO skips a study it cannot find.
    const studyItem = vaultItems.find((item) => item.sk === Keys.studySortKey);
    if (studyItem) await putItemsIfAbsent(nameTokenItems(tenant, study, JSON.parse(String(studyItem.dicom ?? '{}')) as DicomJsonDataset));
    outcome.dispositions.softDeleted++;
  }
}
