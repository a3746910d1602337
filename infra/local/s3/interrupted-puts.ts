/**
 * A PutObject is atomic in S3: an upload cut short never becomes an object. s3rver writes the
 * bytes first and its metadata file last, so a process killed mid-PUT leaves bytes with no (or
 * half a) metadata file, which s3rver would then list, and fail to read, forever. At start,
 * before s3rver serves anything, such remains are removed with any fidelity state of the key.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, sep } from 'node:path';

const OBJECT = '._S3rver_object';

/** Removes interrupted PUTs under s3rver's directory; returns the `bucket/key`s removed. */
export function removeInterruptedPuts(s3rverDirectory: string, fidelityDirectory: string): string[] {
  if (!existsSync(s3rverDirectory)) return [];
  const removed: string[] = [];
  for (const file of readdirSync(s3rverDirectory, { recursive: true }) as string[]) {
    if (!file.endsWith(OBJECT)) continue;
    const objectPath = join(s3rverDirectory, file);
    if (isComplete(`${objectPath.slice(0, -OBJECT.length)}._S3rver_metadata.json`)) continue;
    for (const part of [objectPath, `${objectPath}.md5`, `${objectPath.slice(0, -OBJECT.length)}._S3rver_metadata.json`]) rmSync(part, { force: true });
    const bucketAndKey = file.slice(0, -OBJECT.length).split(sep).join('/');
    rmSync(join(fidelityDirectory, `${createHash('sha1').update(bucketAndKey).digest('hex')}.json`), { force: true });
    removed.push(bucketAndKey);
  }
  return removed;
}

function isComplete(metadataFile: string): boolean {
  try {
    JSON.parse(readFileSync(metadataFile, 'utf8'));
    return true;
  } catch {
    return false;
  }
}
