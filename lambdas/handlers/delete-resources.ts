/**
 * DELETE /dicom-web/studies/{study}[/series/{series}[/instances/{instance}]] — the dicom.delete
 * scope (enforced by the authorizer), within the caller's tenant.
 * 204 when everything was removed; 409 when Object Lock kept some instances.
 */
import { ConflictError } from '#core/errors.ts';
import { clock } from '#adapters/clock.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { resourceScopeOf } from '#middleware/caller.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import { deleteResources } from '#services/delete-instances.ts';

export const handler = httpHandler(async (event, context) => {
  const result = await deleteResources(resourceScopeOf(event), { now: clock.now(), requestId: context.awsRequestId ?? event.requestContext.requestId });
  noteAuditSubject(event, { patientId: result.patientId, detail: { instancesDeleted: result.deleted, instancesKept: result.locked.length } });
  if (result.locked.length) {
    throw new ConflictError(`${result.deleted} instance(s) deleted; ${result.locked.length} kept because they are under legal hold or retention`);
  }
  return { statusCode: 204, headers: {}, body: '' };
}, { audit: (event) => (event.pathParameters?.series ? 'deleteInstances' : 'deleteStudy') });
