/**
 * Purge, once the recovery window has ended: every version of every object of each
 * soft-deleted study is deleted, in the archive and then in its DR replica (the soft delete's
 * markers were not replicated, so the replica kept the bytes through the window: docs/dr.md),
 * its hidden index items dropped and a tombstone left (WADO answers 410). A legal hold placed
 * during the window wins: that study is restored instead. The checksums and each copy's
 * version count are recorded on the study before anything is destroyed, so a rerun after a
 * crash still has them for the certificate of destruction, written last under Object Lock.
 */
import { nameTokens } from '#core/qido/matching.ts';
import { Keys } from '#core/index-keys.ts';
import type { HoldsPort } from '#core/disposition/holds-port.ts';
import { indexHolds } from '#adapters/disposition/index-holds.ts';
import { objectsOfItems } from '#core/disposition/disposition-run.ts';
import { addPeriod } from '#core/disposition/retention.ts';
import { parsePeriod } from '#core/disposition/retention-policy.ts';
import { advanceCursor, allStudies, setStudyState, studyPage, updateRun } from '#adapters/disposition/disposition-store.ts';
import { dropVault, vaultItems } from '#adapters/disposition/study-vault.ts';
import { dispositionObjectKey, putLockedCertificate } from '#adapters/disposition/disposition-objects.ts';
import { archiveCopy, countVersions, deletionRefused, lockedVersion, purgeAllVersions, replicaCopy, type VersionedCopy } from '#adapters/object-versions.ts';
import { deleteItems, putTombstone } from '#adapters/deletion/deletion-store.ts';
import { runOf } from './evaluate.ts';
import { restoreObjectsAndIndex } from './soft-delete.ts';
import { recordRun } from './disposition-ledger.ts';
import { vaultRecordKey } from '#core/dr/ledger.ts';

export const PURGE_PAGE = 25;

/** Where a study's objects are destroyed: the archive first (no new version can replicate after), then the DR replica. */
const copiesToDestroy = (): VersionedCopy[] => [archiveCopy(), ...(replicaCopy() ? [replicaCopy()!] : [])];

async function versionsPerCopy(keys: readonly string[], copies: readonly VersionedCopy[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const copy of copies) {
    counts[copy.name] = 0;
    for (const key of keys) counts[copy.name]! += await countVersions(key, copy);
  }
  return counts;
}

/** Why S3 Object Lock keeps a version of these objects in one of the copies; undefined when nothing is locked. */
async function objectLockOn(keys: readonly string[], copies: readonly VersionedCopy[], now: Date): Promise<string | undefined> {
  for (const copy of copies) {
    for (const key of keys) {
      const lock = await lockedVersion(key, copy, now);
      if (lock) return `${lock} on a version in the ${copy.name} copy (${copy.bucket}): nothing was destroyed; the study was restored`;
    }
  }
  return undefined;
}

/** Destroys every version in each copy in turn; what S3 refused (Object Lock, 403), if it refused one. */
async function destroyUnlessRefused(keys: readonly string[], copies: readonly VersionedCopy[]): Promise<string | undefined> {
  for (const copy of copies) {
    try {
      for (const key of keys) await purgeAllVersions(key, copy);
    } catch (error) {
      if (!deletionRefused(error)) throw error;
      return `S3 refused to delete a version in the ${copy.name} copy (${copy.bucket}): ${(error as Error).message}; the versions left and the study's index entries (in the vault) are kept`;
    }
  }
  return undefined;
}

export async function purgePage(tenant: string, id: string, now: Date, holds: HoldsPort = indexHolds): Promise<{ more: boolean }> {
  const run = await runOf(tenant, id);
  if (run.done?.purge) return { more: false };
  if (run.recoverUntil && now.getTime() < Date.parse(run.recoverUntil)) throw new Error('the recovery window has not ended');
  await updateRun(tenant, id, { status: 'PURGING' }, ['RECOVERABLE', 'PURGING']);
  const from = run.cursors?.purge;
  const page = await studyPage(tenant, id, from, PURGE_PAGE);
  const pending = page.studies.filter((s) => s.state === 'soft-deleted');
  const copies = copiesToDestroy();
  for (const entry of pending) {
    const items = await vaultItems(tenant, entry.study);
    const { keys, checksums } = objectsOfItems(tenant, entry.study, items);
    // Right before destroying this study (not once per page): a hold placed while earlier studies were purged wins too.
    const keptBecause = (await holds.holdsOn(tenant, [entry.study])).has(entry.study)
      ? 'a legal hold was placed during the recovery window; the study was restored'
      : await objectLockOn(keys, copies, now);
    if (keptBecause && entry.checksums) {
      // An earlier attempt had begun destroying it (its checksums are recorded): what is gone is gone, so it is
      // not put back in the index half-empty; what is left, and its index entries (in the vault), are kept.
      const stopped = `${keptBecause.replace(/; (nothing was destroyed; )?the study was restored$/, '')}, after its destruction had begun`;
      await setStudyState(tenant, id, entry.study, ['soft-deleted'], 'refused', { keptBecause: stopped, remaining: await versionsPerCopy(keys, copies) });
      continue;
    }
    if (keptBecause) {
      await restoreObjectsAndIndex(tenant, entry.study, keys);
      await setStudyState(tenant, id, entry.study, ['soft-deleted'], 'kept', { keptBecause, restoredAt: now.toISOString() });
      continue;
    }
    // Checksums and version counts first (once): after the vault is dropped and the versions are gone they could not be read again.
    if (!entry.checksums) await setStudyState(tenant, id, entry.study, ['soft-deleted'], 'soft-deleted', { checksums, versions: await versionsPerCopy(keys, copies) });
    const refused = await destroyUnlessRefused(keys, copies);
    if (refused) {
      // Locked after the look-up above: what S3 kept stays, and so do the study's index entries (in the vault), to be seen to.
      await setStudyState(tenant, id, entry.study, ['soft-deleted'], 'refused', { keptBecause: refused, remaining: await versionsPerCopy(keys, copies) });
      continue;
    }
    // The vault's record in the bucket (docs/dr.md) holds the study's index items: destroyed with the rest, every version.
    for (const copy of copies) await purgeAllVersions(vaultRecordKey(tenant, entry.study), copy);
    const study = items.find((item) => item.sk === 'STUDY');
    if (study) {
      const name = (JSON.parse(String(study.dicom ?? '{}')) as Record<string, { Value?: Record<string, string>[] }>)['00100010']?.Value?.[0];
      const tokens = [...new Set(nameTokens(Object.values(name ?? {}).join('=')))];
      await deleteItems(tokens.map((token) => Keys.nameToken(tenant, token, entry.study)));
    }
    await putTombstone('study', { tenant, study: entry.study }, now.toISOString());
    await dropVault(tenant, entry.study);
    await setStudyState(tenant, id, entry.study, ['soft-deleted'], 'purged', { purgedAt: now.toISOString() });
  }
  await advanceCursor(tenant, id, 'purge', from, page.cursor);
  return { more: page.cursor !== undefined };
}

/** The certificate of destruction: what, when, under which policy version and approval, with checksums. */
export async function writeCertificate(tenant: string, id: string, now: Date): Promise<{ certificateKey: string }> {
  const run = await runOf(tenant, id);
  if (run.certificateKey) {
    await recordRun(tenant, id); // a retry after a crash between the two
    return { certificateKey: run.certificateKey };
  }
  const studies = await allStudies(tenant, id);
  const purged = studies.filter((s) => s.state === 'purged');
  const certificate = {
    certificate: 'destruction',
    disposition: id,
    tenant,
    policyVersion: run.policyVersion,
    evaluatedAt: run.evaluatedAt,
    approvedBy: run.approvedBy,
    approvedAt: run.approvedAt,
    recoveryWindow: run.recoveryWindow,
    issuedAt: now.toISOString(),
    // Every copy the studies' objects were destroyed in: the archive and, where deployed, its DR replica.
    copies: copiesToDestroy().map((copy) => ({ copy: copy.name, bucket: copy.bucket })),
    destroyed: purged.map((s) => ({
      study: s.study,
      rule: s.rule,
      jurisdiction: s.jurisdiction,
      category: s.category,
      studyDate: s.studyDate,
      instances: s.instances,
      bytes: s.bytes,
      softDeletedAt: s.softDeletedAt,
      purgedAt: s.purgedAt,
      sha256: s.checksums ?? [],
      versionsDestroyed: s.versions ?? {},
    })),
    kept: studies
      .filter((s) => s.state === 'skipped' || s.state === 'kept' || s.state === 'restored' || s.state === 'refused')
      .map((s) => ({ study: s.study, state: s.state, reason: s.keptBecause, ...(s.remaining ? { versionsRemaining: s.remaining } : {}) })),
  };
  const key = dispositionObjectKey(tenant, id, 'certificate.json');
  await putLockedCertificate(key, JSON.stringify(certificate, null, 1), addPeriod(now, parsePeriod(run.certificateRetention)));
  await updateRun(tenant, id, { status: 'PURGED', certificateKey: key });
  await recordRun(tenant, id);
  return { certificateKey: key };
}
