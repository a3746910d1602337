/**
 * Execute: for each study the approved report found eligible, re-check right before acting —
 * legal holds now, the policy now, Object Lock on its objects — then soft-delete it: its index
 * items move out of QIDO's and WADO's sight (study first), then each object gets a plain
 * DeleteObject (a delete marker: the bytes stay recoverable until the purge). Each study's
 * state changes once (conditional), so a retried page neither deletes twice nor skips one.
 */
import { Keys } from '#core/index-keys.ts';
import type { HoldsPort } from '#core/disposition/holds-port.ts';
import { indexHolds } from '#adapters/disposition/index-holds.ts';
import { addPeriod, evaluateRetention } from '#core/disposition/retention.ts';
import { objectsOfItems } from '#core/disposition/disposition-run.ts';
import { parsePeriod } from '#core/disposition/retention-policy.ts';
import { advanceCursor, setStudyState, studyPage, updateRun } from '#adapters/disposition/disposition-store.ts';
import { hideStudy, storedItems, studyItemAnywhere, unhideStudy, vaultItems } from '#adapters/disposition/study-vault.ts';
import { softDeleteObject } from '#adapters/disposition/disposition-objects.ts';
import { removeDeleteMarkers } from '#adapters/object-versions.ts';
import { isLocked } from '#adapters/object-store.ts';
import { candidateOf } from '#adapters/disposition/candidate-studies.ts';
import { factsOf, policyOfRun, runOf } from './evaluate.ts';
import { recordRestored, recordRun, recordVault } from './disposition-ledger.ts';

export const EXECUTE_PAGE = 25;

export async function softDeletePage(tenant: string, id: string, now: Date, holds: HoldsPort = indexHolds): Promise<{ more: boolean }> {
  const run = await runOf(tenant, id);
  if (run.done?.execute) return { more: false };
  await updateRun(tenant, id, { status: 'EXECUTING' }, ['APPROVED', 'EXECUTING']);
  const policy = policyOfRun(run);
  const from = run.cursors?.execute;
  const page = await studyPage(tenant, id, from, EXECUTE_PAGE);
  const pending = page.studies.filter((s) => s.state === 'eligible');
  for (const entry of pending) {
    const found = await studyItemAnywhere(tenant, entry.study);
    if (!found) {
      await setStudyState(tenant, id, entry.study, ['eligible'], 'skipped', { keptBecause: 'the study is no longer in the index' });
      continue;
    }
    const partition = found.hidden ? Keys.disposedStudyPartition(tenant, entry.study) : Keys.study(tenant, entry.study).pk;
    // This study's holds right before acting on it (not once per page): a hold placed after the approval,
    // while earlier studies of the page were soft-deleted, wins.
    const holdIds = (await holds.holdsOn(tenant, [entry.study])).get(entry.study) ?? [];
    const verdict = evaluateRetention(policy.retention, await factsOf(tenant, candidateOf(entry.study, found.item), partition, holdIds, policy), now);
    const items = found.hidden ? await vaultItems(tenant, entry.study) : await liveItems(tenant, entry.study);
    const { keys } = objectsOfItems(tenant, entry.study, items);
    const keptBecause =
      verdict.outcome === 'spared' && verdict.safetyNet === 'legal-hold'
        ? `the study came under legal hold (${holdIds.join(', ')}) after the report was approved`
        : verdict.outcome !== 'eligible'
          ? 'reason' in verdict
            ? verdict.reason
            : `retained until ${verdict.retainUntil}`
          : (await anyLocked(keys, now))
            ? 'an object of the study is under S3 Object Lock'
            : undefined;
    if (keptBecause) {
      // A hold or lock that came while an earlier attempt was moving the study: put it back whole.
      if (found.hidden) await restoreObjectsAndIndex(tenant, entry.study, keys);
      await setStudyState(tenant, id, entry.study, ['eligible'], 'skipped', { keptBecause });
      continue;
    }
    await hideStudy(tenant, entry.study, id);
    // The bucket keeps the vault before the objects are delete-marked: a rebuild finds it there.
    await recordVault(tenant, entry.study);
    for (const key of keys) await softDeleteObject(key);
    const lateHolds = (await holds.holdsOn(tenant, [entry.study])).get(entry.study);
    if (lateHolds) {
      // A hold placed while the study was being moved: put it back whole.
      await restoreObjectsAndIndex(tenant, entry.study, keys);
      await setStudyState(tenant, id, entry.study, ['eligible'], 'skipped', { keptBecause: `a legal hold (${lateHolds.join(', ')}) was placed while the study was being soft-deleted; it was put back` });
      continue;
    }
    await setStudyState(tenant, id, entry.study, ['eligible'], 'soft-deleted', { softDeletedAt: now.toISOString() });
  }
  await advanceCursor(tenant, id, 'execute', from, page.cursor);
  return { more: page.cursor !== undefined };
}

const liveItems = (tenant: string, study: string) => storedItems(Keys.study(tenant, study).pk);

async function anyLocked(keys: readonly string[], now: Date): Promise<boolean> {
  for (const key of keys) if (await isLocked(key, now)) return true;
  return false;
}

/** Puts a soft-deleted study back, and says so in the bucket (its vault record emptied) for a rebuild of the index. */
export async function restoreObjectsAndIndex(tenant: string, study: string, keys: readonly string[]): Promise<void> {
  for (const key of keys) await removeDeleteMarkers(key);
  await unhideStudy(tenant, study);
  await recordRestored(tenant, study);
}

/** After the last page: the recovery window opens; the workflow waits until it ends. */
export async function openRecoveryWindow(tenant: string, id: string, now: Date): Promise<{ recoverUntil: string }> {
  const run = await runOf(tenant, id);
  let recoverUntil = run.recoverUntil;
  if (!recoverUntil) {
    const until = addPeriod(now, parsePeriod(run.recoveryWindow));
    // Keep the time of day: the window is a duration from the end of the execution.
    until.setUTCHours(now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds(), now.getUTCMilliseconds());
    recoverUntil = until.toISOString();
    await updateRun(tenant, id, { status: 'RECOVERABLE', recoverUntil });
  }
  await recordRun(tenant, id); // again on a retry: a crash may have come between the two
  return { recoverUntil };
}
