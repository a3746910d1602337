/**
 * ListObjectVersions (`GET /<bucket>?versions`) in S3's XML: keys in order, each key's versions
 * and delete markers newest first, `max-keys` (≤ 1,000) counting both, and `key-marker` /
 * `version-id-marker` to continue after the last one listed (S3 API Reference,
 * ListObjectVersions). The keys come from s3rver: those with a current object (the bucket) and
 * those whose current version is a delete marker (the `--deleted` shadow); the versions from
 * the fidelity state. `delimiter` is not simulated (answered 501 NotImplemented).
 */
import type { ServerResponse } from 'node:http';
import type { ObjectStateStore, ObjectVersion } from './object-state.ts';
import { internalHeaders } from './internal-headers.ts';
import { byKey, listKeysAfter } from './ordered-listing.ts';
import { escapeXml, sendXml, sendXmlError } from './upstream.ts';
import { deletedKeysBucket } from './version-bytes.ts';
import { NULL_VERSION } from './versions.ts';

const MAX_KEYS = 1_000;
const LOCAL_OWNER = '<Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>strata-local</DisplayName></Owner>';

export async function listObjectVersions(
  upstream: URL,
  states: ObjectStateStore,
  res: ServerResponse,
  bucket: string,
  query: URLSearchParams,
): Promise<void> {
  if (query.get('delimiter')) return sendXmlError(res, 501, 'NotImplemented', 'The local S3 does not group ListObjectVersions by delimiter');
  const prefix = query.get('prefix') ?? '';
  const keyMarker = query.get('key-marker') ?? '';
  const versionIdMarker = keyMarker ? query.get('version-id-marker') ?? '' : '';
  const requested = Number(query.get('max-keys') ?? MAX_KEYS);
  if (!Number.isInteger(requested) || requested < 0) return sendXmlError(res, 400, 'InvalidArgument', 'max-keys must be a non-negative integer');
  const maxKeys = Math.min(requested, MAX_KEYS);

  const entries: string[] = [];
  let last: { key: string; versionId: string } | undefined;
  let truncated = false;
  const keys = mergeSorted(listKeys(upstream, bucket, prefix, keyMarker), listKeys(upstream, deletedKeysBucket(bucket), prefix, keyMarker));
  // With a version-id-marker the listing resumes inside the marker's own key.
  const first = versionIdMarker ? [keyMarker] : [];
  outer: for await (const key of prepend(first, keys)) {
    const versions = states.get(bucket, key).versions;
    const resumeAt = key === keyMarker && versionIdMarker ? versions.findIndex((v) => v.versionId === versionIdMarker) + 1 : 0;
    for (const [index, version] of versions.entries()) {
      if (index < resumeAt) continue;
      if (entries.length === maxKeys) {
        truncated = true;
        break outer;
      }
      entries.push(entryXml(key, version, index === 0));
      last = { key, versionId: version.versionId };
    }
  }
  const xml = [
    `<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`,
    `<Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix>`,
    `<KeyMarker>${escapeXml(keyMarker)}</KeyMarker><VersionIdMarker>${escapeXml(versionIdMarker)}</VersionIdMarker>`,
    truncated && last ? `<NextKeyMarker>${escapeXml(last.key)}</NextKeyMarker><NextVersionIdMarker>${escapeXml(last.versionId)}</NextVersionIdMarker>` : '',
    `<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>`,
    ...entries,
    `</ListVersionsResult>`,
  ].join('');
  sendXml(res, 200, xml);
}

function entryXml(key: string, version: ObjectVersion, latest: boolean): string {
  const common =
    `<Key>${escapeXml(key)}</Key><VersionId>${escapeXml(version.versionId ?? NULL_VERSION)}</VersionId>` +
    `<IsLatest>${latest}</IsLatest><LastModified>${version.createdAt ?? new Date(0).toISOString()}</LastModified>`;
  if (version.deleteMarker) return `<DeleteMarker>${common}${LOCAL_OWNER}</DeleteMarker>`;
  return (
    `<Version>${common}<ETag>"${escapeXml(version.etag ?? '')}"</ETag><Size>${version.size ?? 0}</Size>` +
    `<StorageClass>${version.storageClass ?? 'STANDARD'}</StorageClass>${LOCAL_OWNER}</Version>`
  );
}

/** Keys of one s3rver bucket after `after`, in S3's order (ordered-listing.ts). */
async function* listKeys(upstream: URL, bucket: string, prefix: string, after: string): AsyncGenerator<string> {
  yield* await listKeysAfter(upstream, bucket, prefix, after, internalHeaders());
}

/** Two ordered key streams as one, each key once. */
async function* mergeSorted(a: AsyncGenerator<string>, b: AsyncGenerator<string>): AsyncGenerator<string> {
  let [x, y] = await Promise.all([a.next(), b.next()]);
  while (!x.done || !y.done) {
    if (y.done || (!x.done && byKey(x.value, y.value) <= 0)) {
      const key = x.value as string;
      yield key;
      if (!y.done && y.value === key) y = await b.next();
      x = await a.next();
    } else {
      yield y.value;
      y = await b.next();
    }
  }
}

async function* prepend(first: string[], rest: AsyncGenerator<string>): AsyncGenerator<string> {
  yield* first;
  yield* rest;
}
