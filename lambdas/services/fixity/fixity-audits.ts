/**
 * Fixity audits of a study (statemachines/fixity-audit.asl.json): started by an administrator,
 * one per study per minute, followed by execution name; the workflow's steps list the series,
 * verify each (verify-series.ts) and keep the summary on the study.
 */
import { NotFoundError } from '#core/errors.ts';
import { summariseFixity, type SeriesFixity } from '#core/fixity/series-fixity.ts';
import { patientIdOf } from '#core/audit/subjects.ts';
import { clock } from '#adapters/clock.ts';
import { getStudyDataset, listSeriesUids, putFixityRecord } from '#adapters/study-store.ts';
import { startWorkflow } from '#adapters/workflows.ts';
import { opaqueNameOf } from '#adapters/workflows/references.ts';
import { config } from '#lambdas/config.ts';
import { describeTenantWorkflow } from '#services/tenant-workflows.ts';

/** The names audits are given; anything else names no audit (and is no valid ARN part). */
const EXECUTION_NAME = /^fixity-[0-9a-f]{24}-[0-9]{12}$/;

/** Starts the audit of a study of the tenant; a study of another tenant is as absent as one never stored. */
export async function startFixityAudit(tenant: string, study: string): Promise<{ execution: string; patientId: string | undefined }> {
  if ((await listSeriesUids(tenant, study)).length === 0) throw new NotFoundError(`no study ${study} to audit`);
  const dataset = await getStudyDataset(tenant, study);
  // One audit per study per minute: a retried request starts nothing new (execution names are idempotent).
  const minute = clock.now().toISOString().slice(0, 16).replace(/[:T-]/g, '');
  const execution = `fixity-${await opaqueNameOf(tenant, `${tenant}/${study}`)}-${minute}`;
  await startWorkflow(config.fixityAuditStateMachineArn(), execution, { tenant, study });
  return { execution, patientId: dataset ? patientIdOf(dataset) : undefined };
}

/** An audit of the tenant's, as the workflow reports it. */
export async function fixityAudit(tenant: string, execution: string) {
  if (!EXECUTION_NAME.test(execution)) throw new NotFoundError(`no fixity audit ${execution.slice(0, 80)}`);
  return describeTenantWorkflow(config.fixityAuditStateMachineArn(), execution, tenant);
}

/** Step 1: the series of the study. */
export async function seriesToAudit(tenant: string, study: string) {
  const series = await listSeriesUids(tenant, study);
  return { tenant, study, series, seriesCount: series.length };
}

/** Step 3: the summary of the series results, kept on the study. */
export async function recordFixityResult(tenant: string, study: string, results: SeriesFixity[]) {
  const summary = summariseFixity(results);
  const auditedAt = clock.now().toISOString();
  await putFixityRecord({ tenant, study, auditedAt, ...summary });
  return { tenant, study, auditedAt, ...summary };
}
