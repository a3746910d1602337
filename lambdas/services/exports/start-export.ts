/**
 * Starting a discovery export (docs/exports.md): the scope is resolved to studies now (a hold's
 * studies, or a QIDO study query through the same search service holds use: designed keys
 * only), so a bad scope is refused at once; the export item is written and the export
 * workflow started, named after the export (a repeated start starts nothing new).
 */
import { patientIdOfQuery } from '#core/audit/subjects.ts';
import { BadRequestError, ConflictError, NotFoundError } from '#core/errors.ts';
import { EMPTY_PROGRESS, type ExportRecord, type ExportRequest } from '#core/exports/export.ts';
import { getHold } from '#adapters/holds/hold-store.ts';
import { putExport } from '#adapters/exports/export-store.ts';
import { startWorkflow } from '#adapters/workflows.ts';
import { config } from '#lambdas/config.ts';
import { resolveHoldScope } from '#services/holds/resolve-scope.ts';

export interface ExportActor {
  tenant: string;
  clientId: string;
  now: Date;
}

export async function startExport(request: ExportRequest, id: string, actor: ExportActor): Promise<ExportRecord> {
  let studies: string[];
  let matter = request.matter;
  let patientId: string | undefined;
  if ('hold' in request.scope) {
    // Another tenant's hold is not found: the key starts with the caller's tenant.
    const hold = await getHold(actor.tenant, request.scope.hold);
    if (!hold) throw new NotFoundError(`no hold ${request.scope.hold}`);
    // A released hold preserves nothing any more: its studies may be changing or gone, and a
    // package in its name would claim a preservation that ended (docs/exports.md).
    if (hold.status === 'released') {
      throw new ConflictError(`hold ${hold.id} was released at ${hold.releasedAt}: it no longer preserves its studies; export them by query if they must still be produced`);
    }
    studies = hold.studies;
    matter ??= hold.matter;
    patientId = 'patient' in hold.scope ? hold.scope.patient.id : undefined;
  } else {
    studies = await resolveHoldScope(actor.tenant, { query: request.scope.query });
    patientId = patientIdOfQuery([...new URLSearchParams(request.scope.query)]);
  }
  if (studies.length === 0) throw new BadRequestError('the scope covers no study: nothing to export');
  const record: ExportRecord = {
    ...request,
    ...(matter === undefined ? {} : { matter }),
    ...(patientId === undefined ? {} : { patientId }),
    id,
    tenant: actor.tenant,
    status: 'RUNNING',
    createdAt: actor.now.toISOString(),
    createdBy: actor.clientId,
    studies,
    progress: { ...EMPTY_PROGRESS },
  };
  await putExport(record);
  await startWorkflow(config.exportStateMachineArn(), executionName(id), { tenant: actor.tenant, exportId: id });
  return record;
}

export const executionName = (id: string) => `export-${id}`;
