/**
 * ListObjectsV2, paged by the fidelity layer. s3rver makes its continuation tokens with DES,
 * which OpenSSL 3 (Node 17+) no longer offers, and it pages in its directory-walk order rather
 * than S3's (ordered-listing.ts). The proxy takes the whole ordered listing under the prefix and
 * answers one page of it in v2's shape, with an opaque continuation token of its own (the last
 * key, base64url) — as S3 does, clients must not read it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { byKey, listEntries } from './ordered-listing.ts';
import { escapeXml, sendXml } from './upstream.ts';

/** S3's page size and ceiling. */
const MAX_KEYS = 1_000;

export async function listObjectsV2(upstream: URL, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
  const continuation = query.get('continuation-token');
  const startAfter = query.get('start-after');
  const marker = continuation ? Buffer.from(continuation, 'base64url').toString('utf8') : (startAfter ?? '');
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? undefined;
  const requested = Number(query.get('max-keys') ?? MAX_KEYS);
  const maxKeys = Number.isInteger(requested) && requested >= 0 ? Math.min(requested, MAX_KEYS) : MAX_KEYS;
  const bucket = path.replace(/^\//, '').split('/')[0]!;
  const { entries, xml, status } = await listEntries(upstream, bucket, { prefix, delimiter, encodingType: query.get('encoding-type') ?? undefined }, req.headers);
  if (status !== 200) return sendXml(res, status, xml);

  const after = entries.filter((entry) => !marker || byKey(entry.key, marker) > 0);
  const page = after.slice(0, maxKeys);
  const truncated = after.length > page.length;
  const last = page.at(-1)?.key;
  const answer = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`,
    `<Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix>`,
    delimiter ? `<Delimiter>${escapeXml(delimiter)}</Delimiter>` : '',
    `<MaxKeys>${maxKeys}</MaxKeys><KeyCount>${page.length}</KeyCount>`,
    continuation ? `<ContinuationToken>${escapeXml(continuation)}</ContinuationToken>` : '',
    !continuation && startAfter ? `<StartAfter>${escapeXml(startAfter)}</StartAfter>` : '',
    truncated && last ? `<NextContinuationToken>${Buffer.from(last, 'utf8').toString('base64url')}</NextContinuationToken>` : '',
    `<IsTruncated>${truncated}</IsTruncated>`,
    ...page.filter((entry) => !entry.commonPrefix).map((entry) => entry.xml),
    ...page.filter((entry) => entry.commonPrefix).map((entry) => entry.xml),
    `</ListBucketResult>`,
  ].join('');
  sendXml(res, 200, answer);
}
