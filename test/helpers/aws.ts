/** Real AWS SDK clients pointed at a local runtime's emulators, for tests that check what landed. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { LocalRuntime } from '#infra/local/runtime.ts';

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function s3For(runtime: LocalRuntime): S3Client {
  return new S3Client({ endpoint: runtime.s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
}

export function dynamoFor(runtime: LocalRuntime): DynamoDBClient {
  return new DynamoDBClient({ endpoint: `http://127.0.0.1:${runtime.servicePorts.dynamodb}`, region: 'us-east-1', credentials });
}
