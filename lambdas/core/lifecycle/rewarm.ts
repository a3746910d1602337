/**
 * Copy back to a warmer tier (docs/lifecycle.md, "Copy back"): S3's lifecycle never moves an
 * object to a warmer class, but a rule may name one (`rewarm`) for its archived objects that are
 * read again. Only an object read from its restored copy qualifies: the copy is made from that
 * copy (an unrestored GLACIER or DEEP_ARCHIVE object cannot be a copy source). Pure.
 */
import { ARCHIVE_CLASSES } from '#core/restores/restore-tiers.ts';
import { TIER_ORDER, type PolicyRule, type Tier } from './policy.ts';

export function rewarmTarget(rule: PolicyRule, object: { storageClass: string; restoredUntil?: string | undefined }, now: Date): Tier | undefined {
  if (!rule.rewarm || !ARCHIVE_CLASSES.has(object.storageClass)) return undefined;
  if (object.restoredUntil === undefined || Date.parse(object.restoredUntil) <= now.getTime()) return undefined;
  return TIER_ORDER.indexOf(rule.rewarm) < TIER_ORDER.indexOf(object.storageClass as Tier) ? rule.rewarm : undefined;
}
