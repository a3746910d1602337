/**
 * ListObjectVersions, which s3rver refuses (405). Until the local bucket keeps versions, the
 * proxy answers it as S3 answers it for a bucket that never had versioning: every object is
 * its only version, `VersionId` "null", latest, and there are no delete markers (a DELETE is
 * immediate). Pages come from s3rver's ListObjects (v1), `key-marker` as its marker.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeXml, readAll, sendUpstream, sendXml } from './upstream.ts';

export async function listObjectVersions(upstream: URL, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
  const v1 = new URLSearchParams();
  for (const [from, to] of [['prefix', 'prefix'], ['delimiter', 'delimiter'], ['max-keys', 'max-keys'], ['key-marker', 'marker']] as const) {
    const value = query.get(from);
    if (value !== null) v1.set(to, value);
  }
  const answer = await sendUpstream(upstream, { method: 'GET', path: `${path}?${v1}`, headers: req.headers });
  const xml = (await readAll(answer)).toString('utf8');
  if (answer.statusCode !== 200 || !xml.includes('<ListBucketResult')) return sendXml(res, answer.statusCode ?? 502, xml);
  const field = (block: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(block)?.[1] ?? '';
  const contents = [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map((m) => m[1]!);
  const versions = contents.map((block) =>
    `<Version><Key>${field(block, 'Key')}</Key><VersionId>null</VersionId><IsLatest>true</IsLatest><LastModified>${field(block, 'LastModified')}</LastModified>` +
      `<ETag>${field(block, 'ETag')}</ETag><Size>${field(block, 'Size')}</Size><StorageClass>${field(block, 'StorageClass') || 'STANDARD'}</StorageClass></Version>`,
  );
  const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
  const last = contents.map((block) => field(block, 'Key')).at(-1);
  const name = field(xml, 'Name');
  sendXml(
    res,
    200,
    `<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${name}</Name>` +
      `<Prefix>${escapeXml(query.get('prefix') ?? '')}</Prefix><KeyMarker>${escapeXml(query.get('key-marker') ?? '')}</KeyMarker><VersionIdMarker></VersionIdMarker>` +
      `<MaxKeys>${field(xml, 'MaxKeys') || '1000'}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
      (truncated && last ? `<NextKeyMarker>${last}</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>` : '') +
      `${versions.join('')}</ListVersionsResult>`,
  );
}
