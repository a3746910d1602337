/**
 * The DR audit as a workflow (statemachines/dr-audit.asl.json, docs/dr.md): daily for every
 * tenant that holds anything, or for one tenant on request. Each step audits one page of a
 * tenant's studies (replica-audit.ts, the service the CLI runs too); the last step sums the
 * tenants' counts and publishes them to CloudWatch, where the declared alarms watch them.
 */
import { drAuditMetrics, DR_METRICS_NAMESPACE, type TenantAuditCounts } from '#core/dr/audit-metrics.ts';
import { clock } from '#adapters/clock.ts';
import { publishMetrics } from '#adapters/metrics.ts';
import { config } from '#lambdas/config.ts';
import { auditReplicaPage, emptyAuditState, REPLICATION_GRACE_SECONDS, type ReplicaAuditState } from './replica-audit.ts';

/**
 * Keys listed per kind in a tenant's own run (as references in the execution; the counts are
 * complete). A scheduled run lists none: counts per tenant keep its state small whatever the
 * number of tenants (Step Functions allows 256 KB).
 */
export const LISTED_PER_KIND = 100;

export interface TenantAuditStep {
  tenant: string;
  /** A tenant's own run lists the damaged keys; a scheduled one, counts only. */
  detailed: boolean;
  audit?: ReplicaAuditState;
}

export async function auditReplicaStep(step: TenantAuditStep): Promise<TenantAuditStep> {
  const audit = await auditReplicaPage(step.tenant, step.audit ?? emptyAuditState(), clock.now(), {
    replicaBucket: config.replicaBucket(),
    graceSeconds: REPLICATION_GRACE_SECONDS,
    listLimit: step.detailed ? LISTED_PER_KIND : 0,
  });
  return { ...step, audit };
}

/** A tenant's result as the workflow keeps it: its audit, or the error its retries ended on. */
export type TenantAuditResult = TenantAuditStep | { tenant: string; failed: string };

const countsOf = (result: TenantAuditResult): TenantAuditCounts =>
  'failed' in result ? result : { tenant: result.tenant, ...result.audit };

/**
 * The run's end: a scheduled run (every tenant) publishes the sums the alarms watch; a tenant's
 * own run publishes nothing (one tenant's figures would hide the others') and answers its report.
 */
export async function finishDrAudit(run: { tenant?: string; reports: TenantAuditResult[] }) {
  if (run.tenant !== undefined) return { tenant: run.tenant, report: run.reports[0] };
  const metrics = drAuditMetrics(run.reports.map(countsOf));
  publishMetrics(DR_METRICS_NAMESPACE, metrics);
  return { reports: run.reports, metrics: Object.fromEntries(metrics.map((m) => [m.name, m.value])) };
}
