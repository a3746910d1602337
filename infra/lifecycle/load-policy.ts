/**
 * Loads the lifecycle policy file: YAML parsed with `yaml` (which keeps each node's position),
 * checked against the published JSON Schema with Ajv, then against S3's transition rules
 * (core/lifecycle/policy.ts). Every problem names the line, the rule and what is wrong, so an
 * administrator can fix the file without reading code. CDK synth and the local runtime both
 * load it; a policy that fails any check stops them.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { policyProblems, type LifecyclePolicy } from '#core/lifecycle/policy.ts';
import { retentionProblems } from '#core/disposition/retention-policy.ts';
import schema from '#policies/lifecycle.schema.json' with { type: 'json' };

export const DEFAULT_POLICY_FILE = 'policies/lifecycle.yaml';

export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(readonly file: string, readonly problems: string[]) {
    super(`${file}: the lifecycle policy is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const validate = new Ajv2020({ allErrors: true, strict: true }).compile<LifecyclePolicy>(schema);

/** Parses and checks policy text; `file` only names it in errors. */
export function parsePolicy(text: string, file = 'policy'): LifecyclePolicy {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (document.errors.length) {
    throw new PolicyError(file, document.errors.map((e) => `line ${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`));
  }
  const policy: unknown = document.toJS();
  if (!validate(policy)) throw new PolicyError(file, (validate.errors ?? []).map((e) => describeSchemaError(e, document, lines, policy)));
  const problems = [...policyProblems(policy), ...(policy.retention ? retentionProblems(policy.retention) : [])];
  if (problems.length) throw new PolicyError(file, problems.map((p) => `${where(p.path, document, lines, policy)}${p.message}`));
  return policy;
}

const cache = new Map<string, LifecyclePolicy>();

/** The policy in `file` (relative to the project root), loaded once per process. */
export function loadPolicy(file = DEFAULT_POLICY_FILE): LifecyclePolicy {
  const path = resolve(import.meta.dirname, '../..', file);
  let policy = cache.get(path);
  if (!policy) {
    policy = parsePolicy(readFileSync(path, 'utf8'), file);
    cache.set(path, policy);
  }
  return policy;
}

function describeSchemaError(error: ErrorObject, document: Document, lines: LineCounter, policy: unknown): string {
  const path = error.instancePath.split('/').slice(1).map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment.replace(/~1/g, '/').replace(/~0/g, '~')));
  let message = error.message ?? 'is not valid';
  if (error.keyword === 'additionalProperties') message = `unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  if (error.keyword === 'enum') message += ` (${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`;
  const field = path.length ? `${path.join('.')} ` : '';
  return `${where(path, document, lines, policy)}${field}${message}`;
}

/** `line N, rule "id": ` for a JSON path into the document. */
function where(path: (string | number)[], document: Document, lines: LineCounter, policy: unknown): string {
  let node: unknown;
  for (let depth = path.length; depth >= 0 && !isNode(node); depth -= 1) node = document.getIn(path.slice(0, depth), true);
  const offset = isNode(node) ? node.range?.[0] : undefined;
  const line = offset === undefined ? '' : `line ${lines.linePos(offset).line}, `;
  // Tier rules at `rules.N`, retention rules at `retention.rules.N`.
  const inRetention = path[0] === 'retention' && path[1] === 'rules';
  const rulePath = inRetention ? path.slice(1) : path;
  const ruleIndex = rulePath[0] === 'rules' && typeof rulePath[1] === 'number' ? rulePath[1] : undefined;
  const rules = inRetention ? (policy as { retention?: { rules?: { id?: unknown }[] } }).retention?.rules : (policy as { rules?: { id?: unknown }[] }).rules;
  const id = ruleIndex === undefined ? undefined : rules?.[ruleIndex]?.id;
  const rule = ruleIndex === undefined ? '' : `${inRetention ? 'retention ' : ''}rule ${ruleIndex + 1}${typeof id === 'string' ? ` "${id}"` : ''}: `;
  return `${line}${rule}`;
}
