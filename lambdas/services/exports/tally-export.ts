/**
 * After each copy round of an export: which studies still wait for their restore, and how long to
 * wait before the next round — until the latest of their restores is expected to be ready (S3's
 * documented upper bound), plus a minute. The next round copies only those studies, so a large
 * export's execution history grows with its cold studies, not with its rounds × studies. At most
 * MAX_ROUNDS rounds (a restore late past its expected time is waited for again), then it fails.
 */
import { clock } from '#adapters/clock.ts';
import { endRound, failExport } from '#adapters/exports/export-store.ts';
import { getRestoreRecord } from '#adapters/restores/restore-records.ts';

export const MAX_ROUNDS = 30;
const MARGIN_SECONDS = 60;
/** DEEP_ARCHIVE Bulk's 48 hours: no restore is expected to take longer. */
const LONGEST_WAIT_SECONDS = 48 * 3600;
/** When no restore says when (completed but not yet counted, or late past its expected time): an hour. */
const DEFAULT_WAIT_SECONDS = 3600;

export interface TallyInput {
  tenant: string;
  exportId: string;
  /** The studies this round copied, in the Map's order, and what each iteration reported (same order). */
  studies: string[];
  results: readonly { waiting: number }[];
}

export async function tallyExport(input: TallyInput) {
  const { tenant, exportId } = input;
  const pending = input.studies.filter((_, i) => (input.results[i]?.waiting ?? 0) > 0);
  const waiting = input.results.reduce((sum, r) => sum + r.waiting, 0);
  const round = await endRound(tenant, exportId, waiting);
  const state = { tenant, exportId, studies: pending };
  if (waiting > 0 && round >= MAX_ROUNDS) {
    await failExport(tenant, exportId, clock.now().toISOString(), `${waiting} archived instances were still not restored after ${round} rounds`);
    return { ...state, tally: { round, waiting, failed: true, waitSeconds: 0 } };
  }
  return { ...state, tally: { round, waiting, failed: false, waitSeconds: waiting > 0 ? await secondsUntilReady(tenant, pending) : 0 } };
}

async function secondsUntilReady(tenant: string, studies: readonly string[]): Promise<number> {
  const now = clock.now().getTime();
  let latest: number | undefined;
  for (const study of studies) {
    const record = await getRestoreRecord(tenant, study);
    if (record?.status === 'IN_PROGRESS') latest = Math.max(latest ?? 0, Date.parse(record.expectedReadyAt));
  }
  if (latest === undefined || latest <= now) return DEFAULT_WAIT_SECONDS;
  return Math.min(LONGEST_WAIT_SECONDS, Math.ceil((latest - now) / 1000)) + MARGIN_SECONDS;
}
