/**
 * Deletions nobody is working on any more — their request or workflow died (a crash, a timeout),
 * before finishing or between finishing and its audit record — are carried on by a new workflow
 * execution: a deletion once recorded always completes and is audited (core/deletion/deletion.ts).
 * Run by the index maintenance, per tenant.
 */
import { isStalled } from '#core/deletion/deletion.ts';
import { deletionsUnderWay } from '#adapters/deletion/deletion-records.ts';
import { continueInWorkflow } from './request-deletion.ts';

export async function resumeStalledDeletions(tenant: string, now: Date): Promise<{ underWay: number; resumed: number }> {
  let underWay = 0;
  let resumed = 0;
  for await (const deletion of deletionsUnderWay(tenant)) {
    underWay++;
    if (!isStalled(deletion, now)) continue;
    await continueInWorkflow(tenant, deletion.id, now.toISOString());
    resumed++;
  }
  return { underWay, resumed };
}
