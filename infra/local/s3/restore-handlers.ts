/**
 * RestoreObject as S3 does it, on the local clock (restore-policy.ts has the delays), and the
 * announcements of restores that completed or expired.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RestoreTier } from './object-state.ts';
import { resolveVersion, storageClassOf, updateVersion, type ProxyContext, type Target } from './proxy-context.ts';
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
  return ctx.serialized(target, async () => {
    const version = await resolveVersion(ctx, res, target);
    if (!version) return;
    const storageClass = version.storageClass ?? storageClassOf((await ctx.head(target))!) ?? 'STANDARD';
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
    const phase = restorePhase(version.restore, now);
    if (phase === 'ongoing') return sendXmlError(res, 409, 'RestoreAlreadyInProgress', 'Object restore is already in progress');
    if (phase === 'restored') {
      // Extending an available copy: S3 answers 200 and moves the expiry.
      updateVersion(ctx, target, version.versionId, (v) => {
        v.restore!.days = days;
        v.restore!.expiresAt = new Date(now.getTime() + days * 86_400_000).toISOString();
        v.restore!.expiryAnnounced = false;
      });
      await ctx.options.state.saved(target.bucket, target.key);
      res.writeHead(200).end();
      return;
    }
    updateVersion(ctx, target, version.versionId, (v) => (v.restore = planRestore(storageClass, tier as RestoreTier, days, now)));
    ctx.options.state.setRestorePending(target.bucket, target.key, true);
    await ctx.options.state.saved(target.bucket, target.key);
    res.writeHead(202).end();
    ctx.emit('Object Restore Initiated', target, { size: version.size ?? 0, 'version-id': version.versionId }, { 'source-storage-class': storageClass });
  });
}

/** Announces restores that completed or expired on the local clock (of any version); called by a ticker. */
export function announceRestores(ctx: ProxyContext): void {
  const now = ctx.options.clock.now();
  for (const state of ctx.options.state.pendingRestores()) {
    const target: Target = { bucket: state.bucket, key: state.key, query: new URLSearchParams() };
    let pending = false;
    for (const version of state.versions) {
      const restore = version.restore;
      if (!restore || restore.expiryAnnounced) continue;
      const object = { 'version-id': version.versionId };
      const phase = restorePhase(restore, now);
      if ((phase === 'restored' || phase === 'expired') && !restore.completionAnnounced) {
        restore.completionAnnounced = true;
        ctx.emit('Object Restore Completed', target, object, {
          'source-storage-class': restore.sourceStorageClass,
          'restore-expiry-time': restore.expiresAt,
        });
      }
      if (phase === 'expired') {
        restore.expiryAnnounced = true;
        ctx.emit('Object Restore Expired', target, object, {});
      } else pending = true;
    }
    ctx.options.state.setRestorePending(state.bucket, state.key, pending);
    ctx.options.state.put(state);
  }
}
