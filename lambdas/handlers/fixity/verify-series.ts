/**
 * Fixity audit, step 2 (one Map iteration): re-reads every instance of a series from S3,
 * hashes it and compares with the SHA-256 recorded at ingest. Objects in a cold tier are
 * counted, not read; storage errors are thrown as TransientStorageError for the state's Retry.
 */
import { createHash } from 'node:crypto';
import middy from '@middy/core';
import type { SeriesFixity } from '#core/fixity.ts';
import { NotFoundError, NotYetAvailableError, StrataError } from '#core/errors.ts';
import { listInstanceRecords } from '#adapters/index-store.ts';
import { readInstanceObject } from '#adapters/object-store.ts';

interface Input {
  tenant: string;
  study: string;
  series: string;
}

export class TransientStorageError extends StrataError {
  override readonly code = 'TransientStorageError';
}

export const handler = middy(async (input: Input): Promise<SeriesFixity> => {
  const result: SeriesFixity = { series: input.series, status: 'VERIFIED', verified: 0, mismatched: [], missing: [], cold: 0 };
  for (const record of await listInstanceRecords(input.tenant, input.study, input.series)) {
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
});
