/**
 * The DR replica bucket as the DR audit reads it (docs/dr.md): one study's objects (ListObjectsV2
 * under `<tenant>/studies/<study>/`; S3 Inventory would list them on AWS at a larger scale) and an
 * object's stored SHA-256 (HeadObject with checksum mode: S3 keeps the checksum STOW sent, and
 * replication keeps it on the replica).
 */
import { HeadObjectCommand, ListObjectsV2Command, S3ServiceException } from '@aws-sdk/client-s3';
import { s3ReplicaClient } from '#adapters/aws-clients.ts';

export async function listReplicaKeys(bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3ReplicaClient().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** The replica's stored SHA-256 (hex); undefined when it has none, null when the object is gone. */
export async function replicaSha256(bucket: string, key: string): Promise<string | undefined | null> {
  try {
    const head = await s3ReplicaClient().send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
    return head.ChecksumSHA256 ? Buffer.from(head.ChecksumSHA256, 'base64').toString('hex') : undefined;
  } catch (error) {
    if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return null;
    throw error;
  }
}
