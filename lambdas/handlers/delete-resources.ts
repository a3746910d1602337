/**
 * DELETE /dicom-web/studies/{study}[/series/{series}[/instances/{instance}]] — administrators
 * only (enforced by the authorizer scope dicom.delete once the security work lands).
 * 204 when everything was removed; 409 when Object Lock kept some instances.
 */
import { ConflictError } from '#core/errors.ts';
import { clock } from '#adapters/clock.ts';
import { config } from '#lambdas/config.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import { pathParameter } from '#middleware/http-request.ts';
import { deleteResources } from '#services/delete-instances.ts';

export const handler = httpHandler(async (event, context) => {
  const result = await deleteResources(
    {
      tenant: config.defaultTenant,
      study: pathParameter(event, 'study')!,
      series: pathParameter(event, 'series'),
      sop: pathParameter(event, 'instance'),
    },
    { now: clock.now(), requestId: context.awsRequestId ?? event.requestContext.requestId },
  );
  noteAuditSubject(event, { patientId: result.patientId, detail: { instancesDeleted: result.deleted, instancesKept: result.locked.length } });
  if (result.locked.length) {
    throw new ConflictError(`${result.deleted} instance(s) deleted; ${result.locked.length} kept because they are under legal hold or retention`);
  }
  return { statusCode: 204, headers: {}, body: '' };
}, { audit: (event) => (event.pathParameters?.series ? 'deleteInstances' : 'deleteStudy') });
