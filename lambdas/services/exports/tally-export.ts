/**
 * After each copy round of an export: how many instances still wait for their restore. The
 * workflow waits and copies again while some do, for at most MAX_ROUNDS rounds (its waits are
 * an hour each: past DEEP_ARCHIVE's 48-hour Bulk restores with a day to spare), then fails.
 */
import { clock } from '#adapters/clock.ts';
import { endRound, failExport } from '#adapters/exports/export-store.ts';

export const MAX_ROUNDS = 72;

export async function tallyExport(tenant: string, exportId: string, results: readonly { waiting: number }[]) {
  const waiting = results.reduce((sum, r) => sum + r.waiting, 0);
  const round = await endRound(tenant, exportId, waiting);
  if (waiting > 0 && round >= MAX_ROUNDS) {
    await failExport(tenant, exportId, clock.now().toISOString(), `${waiting} archived instances were still not restored after ${round} rounds`);
    return { round, waiting, failed: true };
  }
  return { round, waiting, failed: false };
}
