/**
 * A PutObject is atomic in S3: an upload cut short never becomes an object. s3rver writes the
 * bytes first and its metadata file last, so a process killed mid-PUT leaves bytes with no (or
 * half a) metadata file, which s3rver would then list, and fail to read, forever. At start,
 * before s3rver serves anything, such remains are removed; the caller then settles each such
 * key's versions (version-bytes.ts), which forgets a version whose bytes were never whole and
 * puts back the current version's bytes if an overwrite was cut.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, sep } from 'node:path';

const OBJECT = '._S3rver_object';

/** Removes interrupted PUTs under s3rver's directory; returns the keys removed. */
export function removeInterruptedPuts(s3rverDirectory: string): { bucket: string; key: string }[] {
  if (!existsSync(s3rverDirectory)) return [];
  const removed: { bucket: string; key: string }[] = [];
  for (const file of readdirSync(s3rverDirectory, { recursive: true }) as string[]) {
    if (!file.endsWith(OBJECT)) continue;
    const objectPath = join(s3rverDirectory, file);
    if (isComplete(`${objectPath.slice(0, -OBJECT.length)}._S3rver_metadata.json`)) continue;
    for (const part of [objectPath, `${objectPath}.md5`, `${objectPath.slice(0, -OBJECT.length)}._S3rver_metadata.json`]) rmSync(part, { force: true });
    const [bucket = '', ...key] = file.slice(0, -OBJECT.length).split(sep);
    removed.push({ bucket, key: key.join('/') });
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
