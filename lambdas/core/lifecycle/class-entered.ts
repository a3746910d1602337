/**
 * When an object entered the storage class it is found in, for the tier backfill (docs/lifecycle.md,
 * "Cold counts of studies archived before the tier events"): the index bills early deletion from
 * that date, and S3's HeadObject gives no transition date — only LastModified, the object's
 * creation (its PUT, or the copy that made it). So:
 * - a class its policy class's S3 lifecycle rule moves it to (a schedule step after day 0, an
 *   object over the rules' 128 KB size filter): the day S3 makes that move, the midnight UTC
 *   after LastModified + the step's days — provided that day has come;
 * - otherwise (a class set at PUT or by a copy, an object without a policy class tag, a rule
 *   without such a step, or a step whose day is still ahead: the policy changed): LastModified.
 * The current policy's rule stands in for the one the object was tagged under. Pure.
 */
import { parseSchedule, type LifecyclePolicy } from './policy.ts';
import { SMALL_OBJECT_BYTES } from './policy-class.ts';

const DAY_MS = 86_400_000;

export interface FoundObject {
  storageClass: string;
  lastModified: Date;
  size: number;
  /** The object's `strata-policy-class` tag. */
  policyClass?: string | undefined;
}

export function classEnteredAt(policy: LifecyclePolicy, object: FoundObject, now: Date): Date {
  const rule = object.policyClass === undefined ? undefined : policy.rules.find((r) => r.id === object.policyClass);
  if (!rule || object.size <= SMALL_OBJECT_BYTES) return object.lastModified;
  const step = parseSchedule(rule.schedule).find((s) => s.tier === object.storageClass && s.days > 0);
  if (!step) return object.lastModified;
  const moved = new Date(Math.ceil((object.lastModified.getTime() + step.days * DAY_MS) / DAY_MS) * DAY_MS);
  return moved.getTime() <= now.getTime() ? moved : object.lastModified;
}
