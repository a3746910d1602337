/**
 * Listings in S3's order. S3 lists keys in UTF-8 binary order; s3rver walks its directories depth
 * first, so `t/1.2/a` comes before `t/1.2-x/a` and `t/1.2.3/a` (`-` and `.` sort before `/`) — and
 * it truncates and applies `marker` in that walk order, so paging skipped keys whenever one
 * "directory" of a key is a prefix of another's (DICOM UIDs `1.2` and `1.2.3`). The fidelity layer
 * therefore asks s3rver for every entry under the prefix once, sorts, and pages itself.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { decodeXmlText } from './proxy-context.ts';
import { readAll, sendUpstream } from './upstream.ts';

/** s3rver's own ceiling for max-keys (it still answers at most 1,000 entries a page). */
const ALL = '2147483647';

/** One `<Contents>` or `<CommonPrefixes>` element of a ListObjects answer, with the key it sorts by. */
export interface ListingEntry {
  key: string;
  xml: string;
  commonPrefix: boolean;
}

/** S3's order: UTF-8 bytes. */
export const byKey = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * Every entry of `bucket` under `prefix` (grouped by `delimiter` when given), sorted as S3 sorts;
 * `undefined` with s3rver's answer when it is an error.
 */
export async function listEntries(
  upstream: URL,
  bucket: string,
  query: { prefix: string; delimiter?: string | undefined; encodingType?: string | undefined },
  headers: IncomingHttpHeaders,
): Promise<{ entries: ListingEntry[]; xml: string; status: number }> {
  const entries: ListingEntry[] = [];
  let xml = '';
  // s3rver answers at most 1,000 entries whatever max-keys says: page through it (marker, in its
  // own walk order, which is how it applies the marker), then sort the whole listing.
  for (let marker: string | undefined; ; ) {
    const params = new URLSearchParams({ prefix: query.prefix, 'max-keys': ALL, ...(marker ? { marker } : {}) });
    if (query.delimiter) params.set('delimiter', query.delimiter);
    if (query.encodingType) params.set('encoding-type', query.encodingType);
    const answer = await sendUpstream(upstream, { method: 'GET', path: `/${bucket}?${params}`, headers });
    xml = (await readAll(answer)).toString('utf8');
    if (answer.statusCode !== 200 || !xml.includes('<ListBucketResult')) return { entries: [], xml, status: answer.statusCode ?? 502 };
    const page: ListingEntry[] = [
      ...[...xml.matchAll(/<Contents>[\s\S]*?<\/Contents>/g)].map((m) => ({ key: decodeXmlText(/<Key>([^<]*)<\/Key>/.exec(m[0])![1]!), xml: m[0], commonPrefix: false })),
      ...[...xml.matchAll(/<CommonPrefixes>[\s\S]*?<\/CommonPrefixes>/g)].map((m) => ({ key: decodeXmlText(/<Prefix>([^<]*)<\/Prefix>/.exec(m[0])![1]!), xml: m[0], commonPrefix: true })),
    ];
    entries.push(...page);
    if (!/<IsTruncated>true<\/IsTruncated>/.test(xml) || !page.length) break;
    const next = /<NextMarker>([^<]*)<\/NextMarker>/.exec(xml)?.[1];
    marker = next !== undefined ? decodeXmlText(next) : lastContentsKey(xml);
  }
  entries.sort((a, b) => byKey(a.key, b.key));
  return { entries, xml, status: 200 };
}

/** The last `<Key>` of a ListObjects page, in s3rver's order (its marker for the next page). */
function lastContentsKey(xml: string): string {
  const keys = [...xml.matchAll(/<Contents>[\s\S]*?<Key>([^<]*)<\/Key>/g)];
  return decodeXmlText(keys.at(-1)![1]!);
}

/** Every key of `bucket` under `prefix` after `after`, in S3's order. */
export async function listKeysAfter(upstream: URL, bucket: string, prefix: string, after: string, headers: IncomingHttpHeaders): Promise<string[]> {
  const { entries, xml, status } = await listEntries(upstream, bucket, { prefix }, headers);
  if (status !== 200) throw new Error(`listing ${bucket} failed: ${xml.slice(0, 200)}`);
  return entries.map((entry) => entry.key).filter((key) => byKey(key, after) > 0);
}
