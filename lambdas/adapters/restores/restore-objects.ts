/** S3 RestoreObject for archived instance objects: what S3 answered, as one of four outcomes. */
import { RestoreObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import type { RestoreTier } from '#core/restores/restore-tiers.ts';
import { config } from '#lambdas/config.ts';
import { s3Client } from '#adapters/aws-clients.ts';

/** requested: a restore began (202); ready: a restored copy exists (200, its expiry extended); inProgress: S3 is already restoring it (409); notArchived: nothing to restore (403 InvalidObjectState). */
export type RestoreOutcome = 'requested' | 'ready' | 'inProgress' | 'notArchived';

export async function restoreObject(key: string, tier: RestoreTier, days: number): Promise<RestoreOutcome> {
  try {
    const result = await s3Client().send(
      new RestoreObjectCommand({ Bucket: config.archiveBucket(), Key: key, RestoreRequest: { Days: days, GlacierJobParameters: { Tier: tier } } }),
    );
    return result.$metadata.httpStatusCode === 200 ? 'ready' : 'requested';
  } catch (error) {
    if (error instanceof S3ServiceException && error.name === 'RestoreAlreadyInProgress') return 'inProgress';
    if (error instanceof S3ServiceException && error.name === 'InvalidObjectState') return 'notArchived';
    throw error;
  }
}
