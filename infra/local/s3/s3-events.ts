/**
 * The EventBridge events S3 sends for a bucket with EventBridge notifications on, in the
 * shape AWS documents (S3 User Guide, "EventBridge event message structure"). The fidelity
 * proxy builds them; the local event bus delivers them to the declared rules.
 */
import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';

export const LOCAL_ACCOUNT = '000000000000';

export type S3DetailType =
  | 'Object Created'
  | 'Object Deleted'
  | 'Object Storage Class Changed'
  | 'Object Restore Initiated'
  | 'Object Restore Completed'
  | 'Object Restore Expired'
  | 'Object Tags Added';

export interface S3EventDetail {
  version: '0';
  bucket: { name: string };
  object: { key: string; size?: number; etag?: string | undefined; 'version-id'?: string | undefined; sequencer?: string };
  'request-id': string;
  requester: string;
  reason?: string;
  'deletion-type'?: string;
  'destination-storage-class'?: string;
  'source-storage-class'?: string;
  'restore-expiry-time'?: string;
  [extra: string]: unknown;
}

export type S3Event = EventBridgeEvent<S3DetailType, S3EventDetail>;

let sequence = 0;

export function s3Event(
  detailType: S3DetailType,
  bucket: string,
  object: { key: string; size?: number; etag?: string | undefined; 'version-id'?: string | undefined },
  time: Date,
  region: string,
  extra: Partial<S3EventDetail> = {},
): S3Event {
  sequence += 1;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'aws.s3',
    account: LOCAL_ACCOUNT,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { ...object, sequencer: sequence.toString(16).padStart(18, '0').toUpperCase() },
      'request-id': randomUUID(),
      requester: LOCAL_ACCOUNT,
      ...extra,
    },
  };
}
