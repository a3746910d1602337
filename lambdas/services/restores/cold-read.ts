/**
 * A read of bytes that are in an archive tier: start (or join) the study's restore and answer
 * 503 with Retry-After and the restore in a JSON body — not 202, which DICOMweb clients take
 * for success. Metadata never comes here: it stays on Standard (docs/lifecycle.md).
 */
import { NotYetAvailableError } from '#core/errors.ts';
import { restoreView, retryAfterSeconds } from '#core/restores/restore-record.ts';
import { clock } from '#adapters/clock.ts';
import type { InstanceRecord } from '#adapters/index-store.ts';
import { ensureStudyRestore, unreadable } from './start-restore.ts';

/** Returns when every record can be read now; else starts the restore and throws the 503. */
export async function requireReadable(records: InstanceRecord[], requestedBy: string): Promise<void> {
  const now = clock.now();
  const cold = unreadable(records, now);
  if (cold.length === 0) return;
  const { tenant, study } = cold[0]!.id;
  const { record } = await ensureStudyRestore(tenant, study, { reason: 'retrieve', requestedBy });
  // Restored between the index read and the restore record's: let the read go on.
  if (!record) return;
  throw new NotYetAvailableError(
    `${cold.length} instance(s) are in an archive tier; restore ${record.status === 'IN_PROGRESS' ? 'in progress' : record.status.toLowerCase()}, expected ready at ${record.expectedReadyAt}`,
    { headers: { 'Retry-After': String(retryAfterSeconds(record, clock.now())) }, details: { restore: restoreView(record) } },
  );
}
