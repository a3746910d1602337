/**
 * EventBridge → index: keeps each instance's storage class in step with S3 (lifecycle
 * transitions, completed restores, deletions), so QIDO can report InstanceAvailability (per
 * instance, series and study) and WADO knows before reading whether bytes are in a cold tier;
 * a completed restore also advances its study's restore (services/restores/tier-events.ts), and the
 * usage counters follow the bytes in the same transaction (docs/finance.md). The event carries only the
 * object key, from which the instance identity is recovered (core/index-keys.ts).
 */
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { instanceIdentityFromKey } from '#core/index-keys.ts';
import { onTierEvent } from '#services/restores/tier-events.ts';
import { logger } from '#lambdas/observability/logger.ts';

interface S3EventDetail {
  bucket: { name: string };
  object: { key: string };
  'destination-storage-class'?: string;
  'source-storage-class'?: string;
  'restore-expiry-time'?: string;
}

export const handler = middy(async (event: EventBridgeEvent<string, S3EventDetail>) => {
  const id = instanceIdentityFromKey(event.detail.object.key);
  if (!id) return { ignored: 'not an instance object' };
  const type = event['detail-type'];
  if (type === 'Object Storage Class Changed' && event.detail['destination-storage-class']) {
    const { updated } = await onTierEvent(id, id.sha256, { storageClass: event.detail['destination-storage-class'], at: event.time });
    logger.info('storage class changed', { storageClass: event.detail['destination-storage-class'], updated });
    return { updated };
  }
  if (type === 'Object Restore Completed' && event.detail['restore-expiry-time']) {
    const { updated, completed } = await onTierEvent(id, id.sha256, { restoredUntil: new Date(event.detail['restore-expiry-time']).toISOString(), at: event.time });
    logger.info('object restore completed', { updated, studyRestoreCompleted: completed !== undefined });
    return { updated, ...(completed ? { completedRestore: completed.round } : {}) };
  }
  if (type === 'Object Restore Expired') {
    const { updated } = await onTierEvent(id, id.sha256, { restoredUntil: undefined, at: event.time });
    logger.info('restore expired', { updated });
    return { updated };
  }
  // Deletions are recorded by the disposition work that owns them.
  logger.info('object event', { type });
  return { ignored: type };
});
