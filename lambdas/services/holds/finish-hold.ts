/**
 * The end of a legal-hold workflow: the hold's S3 state becomes `locked` (placed) or
 * `unlocked` (released), and the audit trail records the completed action with its counts,
 * in the name of the client that asked for it (the workflow has no caller of its own).
 */
import { auditEntries } from '#core/audit/record.ts';
import { holdAuditSubjects } from '#core/holds/hold.ts';
import { clock } from '#adapters/clock.ts';
import { recordAudit } from '#adapters/audit/record-audit.ts';
import { getHold, setHoldS3State } from '#adapters/holds/hold-store.ts';
import type { BatchCounts, HoldAction } from './apply-hold.ts';
import { recordHoldInLedger } from './hold-ledger.ts';

export async function finishHoldWorkflow(tenant: string, holdId: string, action: HoldAction, results: BatchCounts[], requestId: string) {
  const totals = results.reduce(
    (sum, r) => ({
      studies: sum.studies + r.studiesDone,
      instances: sum.instances + r.instances,
      bytes: sum.bytes + r.bytes,
      objectVersions: sum.objectVersions + r.objectVersions,
      stillHeld: sum.stillHeld + r.stillHeld,
    }),
    { studies: 0, instances: 0, bytes: 0, objectVersions: 0, stillHeld: 0 },
  );
  await setHoldS3State(tenant, holdId, action === 'place' ? 'locked' : 'unlocked');
  await recordHoldInLedger(tenant, holdId);
  const hold = await getHold(tenant, holdId);
  const actor = action === 'place' ? hold?.createdBy : hold?.releasedBy;
  await recordAudit(
    auditEntries(
      {
        kind: 'legalHold',
        at: clock.now(),
        method: 'WORKFLOW',
        resource: `legal-hold/${action}`,
        status: 200,
        requestId,
        sourceIp: undefined,
        caller: { clientId: actor ?? 'unknown', tenant, scopes: [] },
      },
      // One record per patient the hold covers, whatever its scope (GET /audit?patient= finds each).
      (hold ? holdAuditSubjects(hold) : [{ studies: [] }]).map((subject) => ({ ...subject, detail: { holdId, holdAction: `${action}-completed`, ...totals } })),
    ),
  );
  return { holdId, action, ...totals };
}
