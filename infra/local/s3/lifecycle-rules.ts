/**
 * What S3's lifecycle engine would make of one object under the compiled rules
 * (infra/lifecycle/compile-rules.ts), at a moment of the local clock. Pure.
 *
 * As S3 documents it: a transition is due at creation + Days, rounded up to the next midnight
 * UTC; a rule applies when the object carries the rule's tag and passes its size filter; when
 * several transitions are due, the coldest wins; nothing moves to a warmer class (the
 * waterfall); an IA class is never reached before 30 days.
 */
import type { CompiledLifecycleRule } from '#infra/lifecycle/compile-rules.ts';
import { MIN_DAYS_BEFORE_IA, TIER_ORDER, type Tier } from '#core/lifecycle/policy.ts';
import { SMALL_OBJECT_BYTES } from '#core/lifecycle/policy-class.ts';

const DAY_MS = 86_400_000;

export interface LifecycleObject {
  storageClass: string;
  createdAt: Date;
  size: number;
  tags: Readonly<Record<string, string>>;
}

/** Creation + `days`, rounded up to the next midnight UTC, as S3 schedules transitions. */
export function transitionDueAt(createdAt: Date, days: number): Date {
  const due = createdAt.getTime() + days * DAY_MS;
  return new Date(Math.ceil(due / DAY_MS) * DAY_MS);
}

const rank = (storageClass: string) => TIER_ORDER.indexOf(storageClass as Tier);

/** The class S3 would move `object` to now, or undefined when it stays where it is. */
export function dueStorageClass(rules: readonly CompiledLifecycleRule[], object: LifecycleObject, now: Date): Tier | undefined {
  let coldest: Tier | undefined;
  for (const rule of rules) {
    if (object.tags[rule.tag.key] !== rule.tag.value) continue;
    // S3's default (all_storage_classes_128K) when a rule has no size filter of its own.
    if (object.size <= (rule.objectSizeGreaterThan ?? SMALL_OBJECT_BYTES - 1)) continue;
    for (const { days, storageClass } of rule.transitions) {
      const isIa = storageClass === 'STANDARD_IA' || storageClass === 'ONEZONE_IA';
      const due = transitionDueAt(object.createdAt, isIa ? Math.max(days, MIN_DAYS_BEFORE_IA) : days);
      if (due.getTime() > now.getTime()) continue;
      if (coldest === undefined || rank(storageClass) > rank(coldest)) coldest = storageClass;
    }
  }
  const current = rank(object.storageClass);
  return coldest !== undefined && current >= 0 && rank(coldest) > current ? coldest : undefined;
}
