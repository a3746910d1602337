/**
 * EventBridge → the presigned-upload indexer: S3's `Object Created` for an object under the
 * uploads prefix (the rule in infra/system.ts filters on it) indexes the uploaded instance and
 * records its result on the upload (services/uploads/index-upload.ts). A failure is thrown, so
 * EventBridge retries the event and keeps it in the dead-letter queue if every retry fails.
 */
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { clock } from '#adapters/clock.ts';
import { onUploadedObject } from '#services/uploads/index-upload.ts';

export const handler = middy(async (event: EventBridgeEvent<'Object Created', { object: { key: string } }>, context: { getRemainingTimeInMillis?: () => number }) =>
  // The whole object is hashed (docs/ingest.md): it stops, and refuses, before the invocation's time runs out.
  onUploadedObject(event.detail.object.key, clock.now(), event.id, { hash: { timeLeftMs: () => context.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY } }),
);
