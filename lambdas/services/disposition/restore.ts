/**
 * Restore a soft-deleted study within its recovery window: the delete markers above each
 * object's newest version are removed (the bytes are current again, unchanged) and the index
 * items come back from the vault, the study item last. After the window the purge owns it.
 */
import { ConflictError, NotFoundError } from '#core/errors.ts';
import { objectsOfItems } from '#core/disposition/disposition-run.ts';
import { getRun, setStudyState } from '#adapters/disposition/disposition-store.ts';
import { studyItemAnywhere, vaultItems } from '#adapters/disposition/study-vault.ts';
import { restoreObjectsAndIndex } from './soft-delete.ts';

export async function restoreStudy(tenant: string, study: string, now: Date): Promise<{ disposition: string; objects: number }> {
  const found = await studyItemAnywhere(tenant, study);
  if (!found) throw new NotFoundError(`no soft-deleted study ${study}`);
  if (!found.hidden) throw new ConflictError(`study ${study} is not soft-deleted`);
  const id = String(found.item.disposition);
  const run = await getRun(tenant, id);
  if (!run) throw new NotFoundError(`no disposition ${id}`);
  if (run.recoverUntil && now.getTime() >= Date.parse(run.recoverUntil)) throw new ConflictError(`the recovery window of disposition ${id} ended at ${run.recoverUntil}`);
  if (run.status === 'PURGING' || run.status === 'PURGED') throw new ConflictError(`disposition ${id} is ${run.status}`);
  const { keys } = objectsOfItems(tenant, study, await vaultItems(tenant, study));
  await restoreObjectsAndIndex(tenant, study, keys);
  await setStudyState(tenant, id, study, ['soft-deleted', 'eligible'], 'restored', { restoredAt: now.toISOString() });
  return { disposition: id, objects: keys.length };
}
