/**
 * What a scheduled DR audit (statemachines/dr-audit.asl.json) publishes to CloudWatch, summed
 * over every tenant: the figures the alarms declared in infra/system.ts watch (docs/dr.md).
 * Pure: the caller publishes.
 */
import type { MetricValue } from '#core/metrics/embedded-metrics.ts';

export const DR_METRICS_NAMESPACE = 'Strata/DR';

export const DR_METRIC = {
  /** Current versions with no replica past the grace period (lost, or never replicated). */
  unreplicated: 'UnreplicatedObjects',
  /** Replicas whose stored SHA-256 is not the one recorded at ingest. */
  mismatched: 'MismatchedReplicas',
  /** Replica objects the index knows neither as a current nor as an earlier version. */
  extra: 'ExtraReplicaObjects',
  /** Current versions not replicated yet, within the grace period. */
  pending: 'PendingReplicas',
  /** The oldest unreplicated version's age: the recovery point (RPO) at the time of the audit. */
  oldestUnreplicated: 'OldestUnreplicatedSeconds',
  /** Tenants whose audit failed after its retries (their figures are missing from the others). */
  failedTenants: 'FailedAuditTenants',
} as const;

/** One tenant's result as the workflow carries it: its counts, or the error that stopped it. */
export interface TenantAuditCounts {
  tenant: string;
  missingCount?: number;
  mismatchedCount?: number;
  extraCount?: number;
  pending?: number;
  oldestUnreplicatedSeconds?: number;
  /** Present when the tenant's audit failed. */
  failed?: string;
}

export function drAuditMetrics(reports: readonly TenantAuditCounts[]): MetricValue[] {
  const sum = (pick: (report: TenantAuditCounts) => number | undefined) => reports.reduce((total, report) => total + (pick(report) ?? 0), 0);
  return [
    { name: DR_METRIC.unreplicated, value: sum((r) => r.missingCount), unit: 'Count' },
    { name: DR_METRIC.mismatched, value: sum((r) => r.mismatchedCount), unit: 'Count' },
    { name: DR_METRIC.extra, value: sum((r) => r.extraCount), unit: 'Count' },
    { name: DR_METRIC.pending, value: sum((r) => r.pending), unit: 'Count' },
    { name: DR_METRIC.oldestUnreplicated, value: Math.max(0, ...reports.map((r) => r.oldestUnreplicatedSeconds ?? 0)), unit: 'Seconds' },
    { name: DR_METRIC.failedTenants, value: reports.filter((r) => r.failed !== undefined).length, unit: 'Count' },
  ];
}
