/**
 * Object tags as S3 keeps them: set by PutObject's `x-amz-tagging` header (s3rver ignores it),
 * read and replaced through `?tagging`, per version (`?versionId=`, else the current one). They live in the fidelity state beside the object,
 * because the local lifecycle engine filters on them as S3's does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readAtMost } from '#infra/local/read-body.ts';
import { decodeXmlText, resolveVersion, updateVersion, type ProxyContext, type Target } from './proxy-context.ts';
import { escapeXml, sendXml, sendXmlError } from './upstream.ts';

/** S3's limits: 10 tags per object, keys up to 128 and values up to 256 characters. */
const MAX_TAGS = 10;
const MAX_KEY_LENGTH = 128;
const MAX_VALUE_LENGTH = 256;
const MAX_TAGGING_BYTES = 64 * 1024;

export class InvalidTagError extends Error {}

function checked(tags: [string, string][]): Record<string, string> {
  if (tags.length > MAX_TAGS) throw new InvalidTagError(`Object tags cannot be greater than ${MAX_TAGS}`);
  for (const [key, value] of tags) {
    if (!key || key.length > MAX_KEY_LENGTH || value.length > MAX_VALUE_LENGTH) throw new InvalidTagError('The TagKey or TagValue you have provided is invalid');
  }
  if (new Set(tags.map(([key]) => key)).size !== tags.length) throw new InvalidTagError('Cannot provide multiple Tags with the same key');
  return Object.fromEntries(tags);
}

/** The tags of a PutObject/CopyObject `x-amz-tagging` header (URL query encoded); undefined without one. */
export function tagsFromHeader(req: IncomingMessage): Record<string, string> | undefined {
  const header = req.headers['x-amz-tagging'];
  if (typeof header !== 'string') return undefined;
  return checked([...new URLSearchParams(header)]);
}

export async function getObjectTagging(ctx: ProxyContext, res: ServerResponse, target: Target): Promise<void> {
  const version = await resolveVersion(ctx, res, target);
  if (!version) return;
  const tags = Object.entries(version.tags ?? {});
  const tagSet = tags.map(([key, value]) => `<Tag><Key>${escapeXml(key)}</Key><Value>${escapeXml(value)}</Value></Tag>`).join('');
  res.setHeader('x-amz-version-id', version.versionId);
  sendXml(res, 200, `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${tagSet}</TagSet></Tagging>`);
}

export async function putObjectTagging(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
  const body = await readAtMost(req, MAX_TAGGING_BYTES);
  if (!body) return sendXmlError(res, 400, 'MaxMessageLengthExceeded', 'Your request was too big.');
  let tags: Record<string, string>;
  try {
    const pairs = [...body.toString('utf8').matchAll(/<Tag>\s*<Key>([^<]*)<\/Key>\s*<Value>([^<]*)<\/Value>\s*<\/Tag>/g)];
    tags = checked(pairs.map((m) => [decodeXmlText(m[1]!), decodeXmlText(m[2]!)]));
  } catch (error) {
    return sendXmlError(res, 400, 'InvalidTag', (error as Error).message);
  }
  await ctx.serialized(target, async () => {
    const version = await resolveVersion(ctx, res, target);
    if (!version) return;
    updateVersion(ctx, target, version.versionId, (v) => (v.tags = tags));
    await Promise.all([ctx.replicator?.mark(target, version.versionId), ctx.options.state.saved(target.bucket, target.key)]);
    res.writeHead(200, { 'x-amz-version-id': version.versionId }).end();
    ctx.emit('Object Tags Added', target, { 'version-id': version.versionId }, {});
  });
}
