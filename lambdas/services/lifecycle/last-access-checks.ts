/**
 * Last-access rules on a schedule (docs/lifecycle.md, "Last access on a schedule"): each indexed
 * study gets a check item due on the first day one of the policy's `lastAccess` rules could hold
 * for it, and each check puts the next. Nothing is written when the policy has no such rule.
 */
import { lastAccessThresholds, nextLastAccessCheck } from '#core/lifecycle/last-access.ts';
import type { InstanceRecord } from '#adapters/instance-items.ts';
import { putLastAccessChecks } from '#adapters/lifecycle/last-access-checks.ts';
import { config } from '#lambdas/config.ts';

/**
 * The first check of each study of `records` (one put per study and day: idempotent). Written
 * before the index transaction, so a crash between the two leaves a check of a study that may
 * not exist — which the check then finds and drops — never a study without its check.
 */
export async function scheduleFirstChecks(records: readonly InstanceRecord[]): Promise<void> {
  const policy = config.lifecyclePolicy();
  if (!lastAccessThresholds(policy).length) return;
  const checks = new Map<string, { tenant: string; day: string; study: string }>();
  for (const { id, ingestedAt } of records) {
    const day = nextLastAccessCheck(policy, { ingestedAts: [ingestedAt] }, new Date(ingestedAt));
    if (day) checks.set(`${id.tenant}/${id.study}/${day}`, { tenant: id.tenant, study: id.study, day });
  }
  await putLastAccessChecks([...checks.values()]);
}

/** After a check of a study: its next one, if a last-access threshold is still ahead. */
export async function scheduleNextCheck(tenant: string, study: string, state: { lastAccessAt?: string | undefined; ingestedAts: readonly string[] }, now: Date): Promise<string | undefined> {
  const day = nextLastAccessCheck(config.lifecyclePolicy(), state, now);
  if (day) await putLastAccessChecks([{ tenant, study, day }]);
  return day;
}
