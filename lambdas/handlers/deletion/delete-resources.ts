/**
 * DELETE /dicom-web/studies/{study}[/series/{series}[/instances/{instance}]] — the dicom.delete
 * scope (enforced by the authorizer), within the caller's tenant (docs/deletion.md).
 * 204 when everything was removed; 409 when Object Lock kept some instances (or a legal hold
 * refuses all); 202 with where to follow it when the deletion outgrew the request.
 */
import { ConflictError } from '#core/errors.ts';
import { clock } from '#adapters/clock.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { callerOf, resourceScopeOf } from '#middleware/caller.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import { publicBaseUrl } from '#middleware/http-request.ts';
import { requestDeletion } from '#services/deletion/request-deletion.ts';
import { deletionView } from '#services/deletion/deletion-view.ts';

export const handler = httpHandler(async (event, context) => {
  const { deletion, finished } = await requestDeletion(resourceScopeOf(event), {
    now: clock.now(),
    clock: () => clock.now(),
    requestedBy: callerOf(event).clientId,
    timeLeftMs: () => context.getRemainingTimeInMillis?.() ?? 25_000,
    requestId: context.awsRequestId,
  });
  const { deleted, kept } = deletion.progress;
  noteAuditSubject(event, { patientId: deletion.patientId, detail: { instancesDeleted: deleted, instancesKept: kept, ...(finished ? {} : { deletion: deletion.id, instancesRequested: deletion.instances }) } });
  if (!finished) {
    const location = `${publicBaseUrl(event)}/deletions/${deletion.id}`;
    return { statusCode: 202, headers: { 'Content-Type': 'application/json', Location: location }, body: JSON.stringify({ ...deletionView(deletion), location }) };
  }
  if (kept) throw new ConflictError(`${deleted} instance(s) deleted; ${kept} kept because they are under legal hold or retention`);
  return { statusCode: 204, headers: {}, body: '' };
}, { audit: (event) => (event.pathParameters?.series ? 'deleteInstances' : 'deleteStudy') });
