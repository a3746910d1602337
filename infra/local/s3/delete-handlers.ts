/**
 * DeleteObject and DeleteObjects as S3 does them. In a versioned bucket a DELETE without
 * versionId adds a delete marker (Object Lock does not stop it: the locked version stays,
 * noncurrent), and a DELETE with versionId removes that version for good, refused with
 * `403 AccessDenied` while the version is locked. In an unversioned bucket a DELETE removes the
 * object, refused while it is locked.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readAtMost } from '#infra/local/read-body.ts';
import { internalHeaders } from './internal-headers.ts';
import { lockReason } from './object-lock.ts';
import { bypass, decodeXmlText, encodePath, etagOf, type ProxyContext, type Target } from './proxy-context.ts';
import { escapeXml, readAll, sendUpstream, sendXml, sendXmlError, xmlValue } from './upstream.ts';
import { currentObject, findVersion, newVersionId, NULL_VERSION, removeVersion } from './versions.ts';

/** DeleteObjects takes at most 1,000 keys (S3 API Reference); 1,000 keys of 1,024 bytes, escaped, fit in 8 MB. */
const MAX_DELETE_KEYS = 1_000;
const MAX_DELETE_REQUEST_BYTES = 8 * 1024 * 1024;

type DeleteOutcome = { refused: string } | { versionId?: string; deleteMarker?: boolean };

export async function deleteObject(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
  req.resume();
  const outcome = await deleteOne(ctx, target.bucket, target.key, target.query.get('versionId'), bypass(req));
  if ('refused' in outcome) return sendXmlError(res, 403, 'AccessDenied', `Access Denied because ${outcome.refused}`);
  const headers: Record<string, string> = {};
  if (outcome.versionId) headers['x-amz-version-id'] = outcome.versionId;
  if (outcome.deleteMarker) headers['x-amz-delete-marker'] = 'true';
  res.writeHead(204, headers).end();
}

export async function deleteObjects(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
  const body = await readAtMost(req, MAX_DELETE_REQUEST_BYTES);
  if (!body) return sendXmlError(res, 400, 'MaxMessageLengthExceeded', 'Your request was too big.');
  const xml = body.toString('utf8');
  const quiet = xmlValue(xml, 'Quiet') === 'true';
  const objects = [...xml.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((m) => ({
    key: decodeXmlText(xmlValue(m[1]!, 'Key') ?? ''),
    versionId: xmlValue(m[1]!, 'VersionId') ?? null,
  }));
  if (objects.length > MAX_DELETE_KEYS) {
    return sendXmlError(res, 400, 'MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema (at most ${MAX_DELETE_KEYS} keys)`);
  }
  const results: string[] = [];
  for (const { key, versionId } of objects) {
    const outcome = await deleteOne(ctx, target.bucket, key, versionId, bypass(req));
    const id = versionId ? `<VersionId>${escapeXml(versionId)}</VersionId>` : '';
    if ('refused' in outcome) {
      results.push(`<Error><Key>${escapeXml(key)}</Key>${id}<Code>AccessDenied</Code><Message>Access Denied because ${outcome.refused}</Message></Error>`);
    } else if (!quiet) {
      const marker = outcome.deleteMarker ? `<DeleteMarker>true</DeleteMarker>${versionId ? '' : `<DeleteMarkerVersionId>${outcome.versionId}</DeleteMarkerVersionId>`}` : '';
      results.push(`<Deleted><Key>${escapeXml(key)}</Key>${id}${marker}</Deleted>`);
    }
  }
  sendXml(res, 200, `<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${results.join('')}</DeleteResult>`);
}

/** One deletion, on the key's lock. */
export function deleteOne(ctx: ProxyContext, bucket: string, key: string, versionId: string | null, bypassGovernance: boolean): Promise<DeleteOutcome> {
  const target: Target = { bucket, key, query: new URLSearchParams() };
  return ctx.serialized(target, async () => {
    const now = ctx.options.clock.now();
    const state = ctx.options.state.get(bucket, key);
    if (!ctx.versioned(bucket)) return deleteUnversioned(ctx, target, lockReason(currentObject(state), now, bypassGovernance));

    const existing = state.versions.length ? undefined : await ctx.head(target);
    if (versionId === null) {
      const marker = { versionId: newVersionId(), deleteMarker: true as const, createdAt: now.toISOString() };
      await changeVersions(ctx, target, (versions) => {
        // An object stored before versioning is kept as the `null` version under the marker.
        if (existing) versions.unshift({ versionId: NULL_VERSION, etag: etagOf(existing), size: Number(existing.headers['content-length'] ?? 0) });
        versions.unshift(marker);
      });
      ctx.emit('Object Deleted', target, { 'version-id': marker.versionId }, { reason: 'DeleteObject', 'deletion-type': 'Delete Marker Created' });
      return { versionId: marker.versionId, deleteMarker: true };
    }
    const version = findVersion(state, versionId) ?? (existing && versionId === NULL_VERSION ? { versionId } : undefined);
    // S3 answers a DELETE of a version that does not exist as a success.
    if (!version) return { versionId };
    const refusal = lockReason(version, now, bypassGovernance);
    if (refusal) return { refused: refusal };
    await changeVersions(ctx, target, (versions) => {
      if (existing) versions.unshift({ versionId: NULL_VERSION, etag: etagOf(existing) });
      const state = { bucket, key, versions };
      removeVersion(state, versionId);
      versions.splice(0, versions.length, ...state.versions);
    });
    ctx.emit('Object Deleted', target, { 'version-id': versionId }, { reason: 'DeleteObject', 'deletion-type': 'Permanently Deleted' });
    return { versionId, ...(version.deleteMarker ? { deleteMarker: true } : {}) };
  });
}

/** Changes a key's versions durably, then makes s3rver agree (journaled across a crash). */
async function changeVersions(ctx: ProxyContext, target: Target, change: (versions: import('./object-state.ts').ObjectVersion[]) => void): Promise<void> {
  const { bucket, key } = target;
  await ctx.bytes.journaled(bucket, key, async () => {
    const state = ctx.options.state.update(bucket, key, (s) => change(s.versions));
    await ctx.options.state.saved(bucket, key);
    return state;
  });
  if (!ctx.options.state.get(bucket, key).versions.length) {
    ctx.options.state.delete(bucket, key);
    await ctx.options.state.saved(bucket, key);
  }
}

async function deleteUnversioned(ctx: ProxyContext, target: Target, refusal: string | undefined): Promise<DeleteOutcome> {
  if (refusal) return { refused: refusal };
  const existed = await ctx.head(target);
  const upstream = await sendUpstream(ctx.options.upstream, { method: 'DELETE', path: `/${target.bucket}/${encodePath(target.key)}`, headers: internalHeaders() });
  await readAll(upstream);
  if (existed && (upstream.statusCode ?? 500) < 300) {
    ctx.options.state.delete(target.bucket, target.key);
    await ctx.options.state.saved(target.bucket, target.key);
    ctx.emit('Object Deleted', target, { etag: etagOf(existed) }, { reason: 'DeleteObject', 'deletion-type': 'Permanently Deleted' });
  }
  return {};
}
