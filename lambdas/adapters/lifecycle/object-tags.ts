/** An archive object's tags (the policy class S3 lifecycle rules filter on): read, and rewritten with other tags kept. */
import { GetObjectTaggingCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { config } from '#lambdas/config.ts';
import { s3Client } from '#adapters/aws-clients.ts';

export async function objectTags(key: string): Promise<Record<string, string>> {
  const result = await s3Client().send(new GetObjectTaggingCommand({ Bucket: config.archiveBucket(), Key: key }));
  return Object.fromEntries((result.TagSet ?? []).map((tag) => [tag.Key!, tag.Value!]));
}

/** Replaces the object's tag set with `tags` (S3 has no partial tag update: callers merge). */
export async function putObjectTags(key: string, tags: Record<string, string>): Promise<void> {
  await s3Client().send(
    new PutObjectTaggingCommand({ Bucket: config.archiveBucket(), Key: key, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }),
  );
}
