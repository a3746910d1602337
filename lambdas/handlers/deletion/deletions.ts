/** GET /deletions/{id} (scope dicom.delete): how far a deletion got, within the caller's tenant (docs/deletion.md). */
import { DELETION_ID } from '#core/deletion/deletion.ts';
import { NotFoundError } from '#core/errors.ts';
import { tenantOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { pathParameter } from '#middleware/http-request.ts';
import { viewOfDeletion } from '#services/deletion/deletion-view.ts';

export const handler = httpHandler(async (event) => {
  const id = pathParameter(event, 'id') ?? '';
  if (!DELETION_ID.test(id)) throw new NotFoundError(`no deletion ${id.slice(0, 80)}`);
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(await viewOfDeletion(tenantOf(event), id)) };
}, { audit: 'deletionStatus' });
