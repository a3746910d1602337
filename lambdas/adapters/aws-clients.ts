/**
 * AWS SDK v3 clients, created once per container and shared by every invocation.
 * Endpoints come from config: unset in AWS, the local emulators in infra/local.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from '#lambdas/config.ts';

let s3: S3Client | undefined;
let dynamodb: DynamoDBClient | undefined;
let sfn: SFNClient | undefined;
let documents: DynamoDBDocumentClient | undefined;
let events: EventBridgeClient | undefined;
let kms: KMSClient | undefined;

const withEndpoint = (endpoint: string | undefined) => (endpoint ? { endpoint } : {});

const s3Options = () => ({ region: config.region, ...withEndpoint(config.endpoints.s3), forcePathStyle: config.s3ForcePathStyle });

export function s3Client(): S3Client {
  s3 ??= new S3Client(s3Options());
  return s3;
}

let replicaS3: S3Client | undefined;

/**
 * The DR replica's bucket is in the DR region (docs/dr.md): this client asks there (the stack
 * gives the Region), and follows S3's redirect should the bucket be elsewhere.
 */
export function s3ReplicaClient(): S3Client {
  replicaS3 ??= new S3Client({ ...s3Options(), region: config.replicaRegion ?? config.region, followRegionRedirects: true });
  return replicaS3;
}

let presigner: S3Client | undefined;

/**
 * The client that signs URLs others upload through. With the SDK's default (a checksum whenever
 * supported) a presigned UploadPart carries the CRC32 of an empty body, and S3 refuses every real
 * part sent to it; the uploader's own request carries its integrity (Content-MD5 or checksum headers).
 */
export function s3PresignClient(): S3Client {
  presigner ??= new S3Client({ ...s3Options(), requestChecksumCalculation: 'WHEN_REQUIRED' });
  return presigner;
}

export function dynamoClient(): DynamoDBClient {
  dynamodb ??= new DynamoDBClient({ region: config.region, ...withEndpoint(config.endpoints.dynamodb) });
  return dynamodb;
}

export function sfnClient(): SFNClient {
  sfn ??= new SFNClient({ region: config.region, ...withEndpoint(config.endpoints.sfn) });
  return sfn;
}

export function eventBridgeClient(): EventBridgeClient {
  events ??= new EventBridgeClient({ region: config.region, ...withEndpoint(config.endpoints.events) });
  return events;
}

export function kmsClient(): KMSClient {
  kms ??= new KMSClient({ region: config.region, ...withEndpoint(config.endpoints.kms) });
  return kms;
}

/** The document client every index adapter uses (plain JS values in and out). */
export function documentClient(): DynamoDBDocumentClient {
  documents ??= DynamoDBDocumentClient.from(dynamoClient(), { marshallOptions: { removeUndefinedValues: true } });
  return documents;
}
