/**
 * A finished deletion's completion in the audit trail, with its final counts, in the name of
 * the client that asked. The record is written before the deletion leaves those under way, so
 * a crash in between is resumed (core/deletion/deletion.ts `auditPending`) — at worst the trail
 * then holds the completion twice, never not at all (as every audit append, docs/audit.md).
 */
import { auditEntries } from '#core/audit/record.ts';
import type { Deletion } from '#core/deletion/deletion.ts';
import { recordAudit } from '#adapters/audit/record-audit.ts';
import { getDeletion, markAudited } from '#adapters/deletion/deletion-records.ts';

export async function auditCompletion(tenant: string, id: string, context: { now: Date; requestId: string; method: 'DELETE' | 'WORKFLOW' }): Promise<Deletion | undefined> {
  const deletion = await getDeletion(tenant, id);
  if (!deletion?.auditPending) return deletion;
  const { scope, progress } = deletion;
  await recordAudit(
    auditEntries(
      {
        kind: scope.series ? 'deleteInstances' : 'deleteStudy',
        at: context.now,
        method: context.method,
        resource: 'deletion/completed',
        // As the DELETE answers a deletion that finished within the request.
        status: progress.kept ? 409 : 204,
        requestId: context.requestId,
        sourceIp: undefined,
        caller: { clientId: deletion.requestedBy, tenant: scope.tenant, scopes: [] },
      },
      [{ patientId: deletion.patientId, studies: [scope.study], detail: { deletion: deletion.id, instancesDeleted: progress.deleted, instancesKept: progress.kept } }],
    ),
  );
  await markAudited(tenant, id);
  return { ...deletion, auditPending: false };
}
