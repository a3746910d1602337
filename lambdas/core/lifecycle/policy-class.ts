/**
 * How an object carries its policy class: S3 object tags set at ingest (and by
 * re-classification), which the compiled S3 lifecycle rules filter on.
 */
import type { Decision } from './evaluate.ts';

/** The tag S3 lifecycle rules filter on: the deciding rule's id. */
export const POLICY_CLASS_TAG = 'strata-policy-class';
/** The policy version that chose the class (each decision records it). */
export const POLICY_VERSION_TAG = 'strata-policy-version';

/**
 * Objects this size or smaller are never transitioned (every compiled rule filters on
 * ObjectSizeGreaterThan, the same as S3's default): their per-object transition and archive
 * overheads cost more than their storage saves (docs/lifecycle.md has the arithmetic).
 */
export const SMALL_OBJECT_BYTES = 128 * 1024;

export function policyTags(decision: Pick<Decision, 'policyClass' | 'policyVersion'>): Record<string, string> {
  return { [POLICY_CLASS_TAG]: decision.policyClass, [POLICY_VERSION_TAG]: String(decision.policyVersion) };
}
