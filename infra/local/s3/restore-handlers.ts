/**
 * RestoreObject as S3 does it, on the local clock (restore-policy.ts has the delays), and the
 * announcements of restores that completed or expired.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RestoreTier } from './object-state.ts';
import type { ProxyContext, Target } from './proxy-context.ts';
import { storageClassOf } from './proxy-context.ts';
import { ARCHIVE_CLASSES, planRestore, restoreDelayMs, restorePhase } from './restore-policy.ts';
import { LATEST_SIMULATED_TIME } from '#infra/local/clock.ts';
import { readAtMost } from '#infra/local/read-body.ts';
import { sendXmlError, xmlValue } from './upstream.ts';

const TIERS: ReadonlySet<string> = new Set<RestoreTier>(['Expedited', 'Standard', 'Bulk']);
/** A RestoreRequest is a few elements; S3 refuses XML bodies past its own limit too. */
const MAX_RESTORE_REQUEST_BYTES = 64 * 1024;

export async function restoreObject(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
  const body = await readAtMost(req, MAX_RESTORE_REQUEST_BYTES);
  if (!body) return sendXmlError(res, 400, 'MaxMessageLengthExceeded', 'Your request was too big.');
  const xml = body.toString('utf8');
  const head = await ctx.head(target);
  if (!head) return sendXmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', { Key: target.key });
  const storageClass = storageClassOf(head) ?? 'STANDARD';
  if (!ARCHIVE_CLASSES.has(storageClass)) {
    return sendXmlError(res, 403, 'InvalidObjectState', "Restore is not allowed for the object's current storage class");
  }
  const tier = xmlValue(xml, 'Tier') ?? 'Standard';
  if (!TIERS.has(tier)) return sendXmlError(res, 400, 'MalformedXML', 'Tier must be Expedited, Standard or Bulk');
  const days = Number(xmlValue(xml, 'Days') ?? '1');
  if (!Number.isInteger(days) || days < 1) return sendXmlError(res, 400, 'InvalidArgument', 'Days must be a positive integer');
  const delay = restoreDelayMs(storageClass, tier as RestoreTier);
  if (delay === undefined) return sendXmlError(res, 400, 'InvalidArgument', `${tier} retrieval is not available for ${storageClass}`);
  const now = ctx.options.clock.now();
  // An expiry past the last representable date would fail later, with the state half written.
  if (now.getTime() + delay + days * 86_400_000 > LATEST_SIMULATED_TIME) return sendXmlError(res, 400, 'InvalidArgument', 'Days is too large');
  const state = ctx.options.state.get(target.bucket, target.key);
  const phase = restorePhase(state.restore, now);
  if (phase === 'ongoing') return sendXmlError(res, 409, 'RestoreAlreadyInProgress', 'Object restore is already in progress');
  if (phase === 'restored') {
    // Extending an available copy: S3 answers 200 and moves the expiry.
    ctx.options.state.update(target.bucket, target.key, (s) => {
      s.restore!.days = days;
      s.restore!.expiresAt = new Date(now.getTime() + days * 86_400_000).toISOString();
      s.restore!.expiryAnnounced = false;
    });
    await ctx.options.state.saved(target.bucket, target.key);
    res.writeHead(200).end();
    return;
  }
  ctx.options.state.update(target.bucket, target.key, (s) => (s.restore = planRestore(storageClass, tier as RestoreTier, days, now)));
  ctx.options.state.setRestorePending(target.bucket, target.key, true);
  await ctx.options.state.saved(target.bucket, target.key);
  res.writeHead(202).end();
  ctx.emit('Object Restore Initiated', target, { size: Number(head.headers['content-length'] ?? 0) }, { 'source-storage-class': storageClass });
}

/** Announces restores that completed or expired on the local clock; called by a ticker. */
export function announceRestores(ctx: ProxyContext): void {
  const now = ctx.options.clock.now();
  for (const state of ctx.options.state.pendingRestores()) {
    const restore = state.restore;
    const target: Target = { bucket: state.bucket, key: state.key, query: new URLSearchParams() };
    if (!restore) {
      ctx.options.state.setRestorePending(state.bucket, state.key, false);
      continue;
    }
    const phase = restorePhase(restore, now);
    if ((phase === 'restored' || phase === 'expired') && !restore.completionAnnounced) {
      restore.completionAnnounced = true;
      ctx.emit('Object Restore Completed', target, {}, {
        'source-storage-class': restore.sourceStorageClass,
        'restore-expiry-time': restore.expiresAt,
      });
    }
    if (phase === 'expired') {
      restore.expiryAnnounced = true;
      ctx.emit('Object Restore Expired', target, {}, {});
      ctx.options.state.setRestorePending(state.bucket, state.key, false);
    }
    ctx.options.state.put(state);
  }
}
