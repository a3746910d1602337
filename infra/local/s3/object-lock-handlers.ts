/** Object Lock requests (legal hold, retention) answered from the proxy's object state (object-lock.ts has the rules). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { retentionChangeRefusal } from './object-lock.ts';
import type { LockMode } from './object-state.ts';
import { bypass, type ProxyContext, type Target } from './proxy-context.ts';
import { readAll, sendXml, sendXmlError, xmlValue } from './upstream.ts';

export async function putLegalHold(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
  const status = xmlValue((await readAll(req)).toString('utf8'), 'Status');
  if (status !== 'ON' && status !== 'OFF') return sendXmlError(res, 400, 'MalformedXML', 'LegalHold Status must be ON or OFF');
  if (!(await lockable(ctx, res, target))) return;
  ctx.options.state.update(target.bucket, target.key, (s) => (s.legalHold = status));
  await ctx.options.state.saved(target.bucket, target.key);
  res.writeHead(200).end();
}

export function getLegalHold(ctx: ProxyContext, res: ServerResponse, target: Target): void {
  const hold = ctx.options.state.get(target.bucket, target.key).legalHold;
  if (!hold) return sendXmlError(res, 404, 'NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration');
  sendXml(res, 200, `<LegalHold><Status>${hold}</Status></LegalHold>`);
}

export async function putRetention(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
  const xml = (await readAll(req)).toString('utf8');
  const mode = xmlValue(xml, 'Mode') as LockMode | undefined;
  const until = xmlValue(xml, 'RetainUntilDate');
  const next = mode && until ? { mode, retainUntil: new Date(until).toISOString() } : undefined;
  if (mode && mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') return sendXmlError(res, 400, 'MalformedXML', 'Mode must be GOVERNANCE or COMPLIANCE');
  if (next && Number.isNaN(Date.parse(next.retainUntil))) return sendXmlError(res, 400, 'InvalidArgument', 'RetainUntilDate is not a date');
  if (!(await lockable(ctx, res, target))) return;
  const now = ctx.options.clock.now();
  const current = ctx.options.state.get(target.bucket, target.key).retention;
  const refusal = retentionChangeRefusal(current, next, now, bypass(req));
  if (refusal) return sendXmlError(res, 403, 'AccessDenied', `Access Denied: ${refusal}`);
  ctx.options.state.update(target.bucket, target.key, (s) => {
    if (next) s.retention = next;
    else delete s.retention;
  });
  await ctx.options.state.saved(target.bucket, target.key);
  res.writeHead(200).end();
}

export function getRetention(ctx: ProxyContext, res: ServerResponse, target: Target): void {
  const retention = ctx.options.state.get(target.bucket, target.key).retention;
  if (!retention) return sendXmlError(res, 404, 'NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration');
  sendXml(res, 200, `<Retention><Mode>${retention.mode}</Mode><RetainUntilDate>${retention.retainUntil}</RetainUntilDate></Retention>`);
}

async function lockable(ctx: ProxyContext, res: ServerResponse, target: Target): Promise<boolean> {
  if (!ctx.options.objectLockBuckets.has(target.bucket)) {
    sendXmlError(res, 400, 'InvalidRequest', 'Bucket is missing Object Lock Configuration');
    return false;
  }
  if (!(await ctx.head(target))) {
    sendXmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', { Key: target.key });
    return false;
  }
  return true;
}
