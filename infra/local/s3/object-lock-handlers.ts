/**
 * Object Lock requests (legal hold, retention) answered from the proxy's object state
 * (object-lock.ts has the rules). Locks belong to one version: `?versionId=` names it, and
 * without one S3 means the current version.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { retentionChangeRefusal } from './object-lock.ts';
import type { LockMode, ObjectVersion } from './object-state.ts';
import { bypass, resolveVersion, updateVersion, type ProxyContext, type Target } from './proxy-context.ts';
import { readAll, sendXml, sendXmlError, xmlValue } from './upstream.ts';

const versionHeader = (version: ObjectVersion) => ({ 'x-amz-version-id': version.versionId });

export async function putLegalHold(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
  const status = xmlValue((await readAll(req)).toString('utf8'), 'Status');
  if (status !== 'ON' && status !== 'OFF') return sendXmlError(res, 400, 'MalformedXML', 'LegalHold Status must be ON or OFF');
  return ctx.serialized(target, async () => {
    const version = await lockable(ctx, res, target);
    if (!version) return;
    updateVersion(ctx, target, version.versionId, (v) => (v.legalHold = status));
    await Promise.all([ctx.replicator?.mark(target, version.versionId), ctx.options.state.saved(target.bucket, target.key)]);
    res.writeHead(200, versionHeader(version)).end();
  });
}

export async function getLegalHold(ctx: ProxyContext, res: ServerResponse, target: Target): Promise<void> {
  const version = await resolveVersion(ctx, res, target);
  if (!version) return;
  if (!version.legalHold) return sendXmlError(res, 404, 'NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration');
  sendXml(res, 200, `<LegalHold><Status>${version.legalHold}</Status></LegalHold>`);
}

export async function putRetention(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
  const xml = (await readAll(req)).toString('utf8');
  const mode = xmlValue(xml, 'Mode') as LockMode | undefined;
  const until = xmlValue(xml, 'RetainUntilDate');
  const next = mode && until ? { mode, retainUntil: new Date(until).toISOString() } : undefined;
  if (mode && mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') return sendXmlError(res, 400, 'MalformedXML', 'Mode must be GOVERNANCE or COMPLIANCE');
  if (next && Number.isNaN(Date.parse(next.retainUntil))) return sendXmlError(res, 400, 'InvalidArgument', 'RetainUntilDate is not a date');
  return ctx.serialized(target, async () => {
    const version = await lockable(ctx, res, target);
    if (!version) return;
    const refusal = retentionChangeRefusal(version.retention, next, ctx.options.clock.now(), bypass(req));
    if (refusal) return sendXmlError(res, 403, 'AccessDenied', `Access Denied: ${refusal}`);
    updateVersion(ctx, target, version.versionId, (v) => {
      if (next) v.retention = next;
      else delete v.retention;
    });
    await Promise.all([ctx.replicator?.mark(target, version.versionId), ctx.options.state.saved(target.bucket, target.key)]);
    res.writeHead(200, versionHeader(version)).end();
  });
}

export async function getRetention(ctx: ProxyContext, res: ServerResponse, target: Target): Promise<void> {
  const version = await resolveVersion(ctx, res, target);
  if (!version) return;
  const retention = version.retention;
  if (!retention) return sendXmlError(res, 404, 'NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration');
  sendXml(res, 200, `<Retention><Mode>${retention.mode}</Mode><RetainUntilDate>${retention.retainUntil}</RetainUntilDate></Retention>`);
}

async function lockable(ctx: ProxyContext, res: ServerResponse, target: Target): Promise<ObjectVersion | undefined> {
  if (!ctx.options.objectLockBuckets.has(target.bucket)) {
    sendXmlError(res, 400, 'InvalidRequest', 'Bucket is missing Object Lock Configuration');
    return undefined;
  }
  return resolveVersion(ctx, res, target);
}
