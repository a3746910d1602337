/**
 * A proposed lifecycle policy sent to POST /finance/projection as JSON: the shape of
 * policies/lifecycle.yaml (the schema's fields) and S3's transition rules (policyProblems),
 * checked here because the function has no YAML or schema validator; refused with every problem.
 */
import { BadRequestError } from '#core/errors.ts';
import { policyProblems, type LifecyclePolicy } from '#core/lifecycle/policy.ts';

const MATCH_FIELDS = new Set(['tenants', 'facilities', 'modalities', 'sopClasses', 'bodyParts', 'patientAge', 'studyAge', 'lastAccess', 'pins']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseProposedPolicy(value: unknown): LifecyclePolicy {
  const problems: string[] = [];
  if (!isObject(value)) throw new BadRequestError('policy must be a lifecycle policy object (the JSON form of policies/lifecycle.yaml)');
  if (typeof value.version !== 'number') problems.push('version must be a number');
  if (!Array.isArray(value.rules) || value.rules.length === 0) problems.push('rules must be a non-empty list');
  (Array.isArray(value.rules) ? value.rules : []).forEach((rule: unknown, i) => {
    if (!isObject(rule) || typeof rule.id !== 'string' || !isObject(rule.match) || !Array.isArray(rule.schedule) || !rule.schedule.every((s) => typeof s === 'string' && /^[A-Z_]+ \d+[dwy]$/.test(s))) {
      problems.push(`rules.${i} needs an id, a match object and a schedule of '<TIER> <age>' steps`);
      return;
    }
    for (const field of Object.keys(rule.match)) if (!MATCH_FIELDS.has(field)) problems.push(`rules.${i}.match: unknown field "${field}"`);
  });
  if (problems.length === 0) {
    try {
      problems.push(...policyProblems(value as unknown as LifecyclePolicy).map((p) => `${p.path.join('.')}: ${p.message}`));
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (problems.length) throw new BadRequestError(`the proposed policy is not valid: ${problems.join('; ')}`);
  return value as unknown as LifecyclePolicy;
}
