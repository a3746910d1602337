/** A deletion as the API shows it (`GET /deletions/{id}`, and DELETE's 202). */
import type { Deletion } from '#core/deletion/deletion.ts';
import { NotFoundError } from '#core/errors.ts';
import { getDeletion } from '#adapters/deletion/deletion-records.ts';

export function deletionView(deletion: Deletion) {
  const { id, scope, status, requestedAt, instances, progress, updatedAt, finishedAt } = deletion;
  return {
    id,
    status,
    resource: { study: scope.study, ...(scope.series ? { series: scope.series } : {}), ...(scope.sop ? { instance: scope.sop } : {}) },
    requestedAt,
    instances,
    deleted: progress.deleted,
    kept: progress.kept,
    updatedAt,
    ...(finishedAt ? { finishedAt } : {}),
  };
}

export async function viewOfDeletion(tenant: string, id: string): Promise<ReturnType<typeof deletionView>> {
  const deletion = await getDeletion(tenant, id);
  if (!deletion) throw new NotFoundError(`no deletion ${id}`);
  return deletionView(deletion);
}
