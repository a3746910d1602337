/**
 * The index records the archive bucket carries for a rebuild (core/dr/ledger.ts): put, read and
 * listed as plain objects of the archive bucket (versioned, replicated with the rest).
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import { config } from '#lambdas/config.ts';
import { s3Client } from '#adapters/aws-clients.ts';
import { listArchivePage } from '#adapters/archive-listing.ts';

export async function putLedgerObject(key: string, body: string): Promise<void> {
  await s3Client().send(new PutObjectCommand({ Bucket: config.archiveBucket(), Key: key, Body: body, ContentType: 'application/json', ChecksumAlgorithm: 'SHA256' }));
}

/** The object's text; undefined when it has no current version. */
export async function readLedgerObject(key: string): Promise<string | undefined> {
  try {
    const answer = await s3Client().send(new GetObjectCommand({ Bucket: config.archiveBucket(), Key: key }));
    return await answer.Body!.transformToString('utf8');
  } catch (error) {
    if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** Every key under the prefix, in key order. */
export async function listLedgerKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let after: string | undefined;
  for (let more = true; more; ) {
    const page = await listArchivePage(prefix, after, 1000);
    keys.push(...page.objects.map((o) => o.key));
    after = keys.at(-1);
    more = page.more;
  }
  return keys;
}
