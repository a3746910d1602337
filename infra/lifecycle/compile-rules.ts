/**
 * The lifecycle policy compiled into S3 lifecycle rules, once, for both runtimes: the CDK
 * archive bucket (infra/constructs/object-store.ts) and the local S3's lifecycle engine
 * (infra/local/s3/lifecycle-engine.ts) take these same rules. One rule per policy class that
 * ever leaves Standard, filtered on the class tag and on size (larger than 128 KB).
 */
import { parseSchedule, type LifecyclePolicy, type Tier } from '#core/lifecycle/policy.ts';
import { POLICY_CLASS_TAG, SMALL_OBJECT_BYTES } from '#core/lifecycle/policy-class.ts';

export interface CompiledLifecycleRule {
  id: string;
  /** The one tag an object must carry (key → value). */
  tag: { key: string; value: string };
  objectSizeGreaterThan: number;
  /** Days after object creation, ascending, warm to cold. */
  transitions: { days: number; storageClass: Exclude<Tier, 'STANDARD'> }[];
}

export const ruleIdOf = (policyClass: string) => `ilm-${policyClass}`;

export function compileLifecycleRules(policy: LifecyclePolicy): CompiledLifecycleRule[] {
  return policy.rules.flatMap((rule) => {
    const transitions = parseSchedule(rule.schedule)
      .filter((step) => step.tier !== 'STANDARD')
      .map((step) => ({ days: step.days, storageClass: step.tier as Exclude<Tier, 'STANDARD'> }));
    // A class that stays on Standard needs no rule (S3 refuses a rule without an action).
    if (!transitions.length) return [];
    return [{ id: ruleIdOf(rule.id), tag: { key: POLICY_CLASS_TAG, value: rule.id }, objectSizeGreaterThan: SMALL_OBJECT_BYTES, transitions }];
  });
}
