/**
 * ListObjectsV2 pagination. s3rver makes its continuation tokens with DES, which OpenSSL 3
 * (Node 17+) no longer offers, so every truncated ListObjectsV2 answered 500. The proxy asks
 * s3rver for the same page as a ListObjects (v1, marker-based) and answers in v2's shape, with
 * an opaque continuation token of its own (the last key, base64url) — as S3 does, clients
 * must not read it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeXmlText } from './proxy-context.ts';
import { escapeXml, readAll, sendUpstream, sendXml } from './upstream.ts';

export async function listObjectsV2(upstream: URL, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
  const continuation = query.get('continuation-token');
  const startAfter = query.get('start-after');
  const marker = continuation ? Buffer.from(continuation, 'base64url').toString('utf8') : (startAfter ?? '');
  const v1 = new URLSearchParams();
  for (const name of ['prefix', 'delimiter', 'max-keys', 'encoding-type']) {
    const value = query.get(name);
    if (value !== null) v1.set(name, value);
  }
  if (marker) v1.set('marker', marker);
  const answer = await sendUpstream(upstream, { method: 'GET', path: `${path}?${v1}`, headers: req.headers });
  const xml = (await readAll(answer)).toString('utf8');
  if (answer.statusCode !== 200 || !xml.includes('<ListBucketResult')) return sendXml(res, answer.statusCode ?? 502, xml);

  const keys = [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!);
  const prefixes = [...xml.matchAll(/<CommonPrefixes>\s*<Prefix>([^<]*)<\/Prefix>/g)].map((m) => m[1]!);
  const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
  const last = [...keys, ...prefixes].sort().at(-1);
  const extra = [
    `<KeyCount>${keys.length + prefixes.length}</KeyCount>`,
    continuation ? `<ContinuationToken>${escapeXml(continuation)}</ContinuationToken>` : '',
    !continuation && startAfter ? `<StartAfter>${escapeXml(startAfter)}</StartAfter>` : '',
    // Keys in the XML are already escaped; the token carries the unescaped key.
    truncated && last ? `<NextContinuationToken>${Buffer.from(decodeXmlText(last), 'utf8').toString('base64url')}</NextContinuationToken>` : '',
  ].join('');
  const v2 = xml
    .replace(/<Marker>[^<]*<\/Marker>|<Marker\/>/, '')
    .replace(/<NextMarker>[^<]*<\/NextMarker>/, '')
    .replace(/(<IsTruncated>)/, `${extra}$1`);
  sendXml(res, 200, v2);
}
