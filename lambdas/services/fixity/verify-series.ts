/**
 * Re-reads every instance of a series from S3, hashes it and compares it with the SHA-256
 * recorded at ingest. Objects in a cold tier are counted, not read (a fixity audit never pays
 * for a restore); storage errors are thrown as TransientStorageError for the workflow's Retry.
 */
import { createHash } from 'node:crypto';
import { NotFoundError, NotYetAvailableError, StrataError } from '#core/errors.ts';
import type { SeriesFixity } from '#core/fixity/series-fixity.ts';
import { listInstanceRecords } from '#adapters/index-store.ts';
import { readInstanceObject } from '#adapters/object-store.ts';

export class TransientStorageError extends StrataError {
  override readonly code = 'TransientStorageError';
}

export async function verifySeries(tenant: string, study: string, series: string): Promise<SeriesFixity> {
  const result: SeriesFixity = { series, status: 'VERIFIED', verified: 0, mismatched: [], missing: [], cold: 0 };
  for (const record of await listInstanceRecords(tenant, study, series)) {
    try {
      const { body } = await readInstanceObject(record.objectKey);
      const hash = createHash('sha256');
      for await (const chunk of body) hash.update(chunk as Buffer);
      if (hash.digest('hex') === record.sha256) result.verified++;
      else result.mismatched.push(record.id.sop);
    } catch (error) {
      if (error instanceof NotYetAvailableError) result.cold++;
      else if (error instanceof NotFoundError) result.missing.push(record.id.sop);
      // The message becomes the Step Functions error cause, kept in the execution history: no UID in it.
      else throw new TransientStorageError(`reading an instance failed: ${(error as Error).name}`, { cause: error });
    }
  }
  return result;
}
