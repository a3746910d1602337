/**
 * The validated policy as a function's LIFECYCLE_POLICY variable (compact JSON), so a handler
 * classifies with exactly the policy the bucket's rules were compiled from, without reading
 * or re-validating a file. Lambda allows 4 KB of environment per function; a policy that
 * would crowd it out is refused at synth with a clear message.
 */
import { loadPolicy } from './load-policy.ts';

/** Leaves room in Lambda's 4 KB for the other variables. */
export const MAX_POLICY_ENV_BYTES = 3_000;

export function policyEnvironment(file: string): string {
  const policy = loadPolicy(file);
  // Descriptions are for the people reading the file; the functions need the rules.
  const retention = policy.retention && { ...policy.retention, rules: policy.retention.rules.map(({ description: _, ...rule }) => rule) };
  const json = JSON.stringify({
    version: policy.version,
    rules: policy.rules.map(({ description: _, ...rule }) => rule),
    ...(policy.retrieval ? { retrieval: policy.retrieval } : {}),
    ...(policy.priors ? { priors: policy.priors } : {}),
    ...(retention ? { retention } : {}),
  });
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_POLICY_ENV_BYTES) {
    throw new Error(`${file}: the lifecycle policy is ${bytes} bytes as JSON; functions receive it in their environment, which allows ${MAX_POLICY_ENV_BYTES} (shorten descriptions or merge rules)`);
  }
  return json;
}
