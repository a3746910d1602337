/**
 * The local IAM policies: each declared function may perform exactly the statements its grants
 * become in AWS. They are computed by the same `grantStatements` the CDK stack attaches to the
 * function's role (infra/constructs/grants.ts), with the local resources' ARNs, so a grant
 * missing from (or added to) the declaration changes both places at once.
 */
import { grantStatements, type Conditions, type Statement } from '#infra/constructs/grants.ts';
import type { FunctionDeclaration } from '#infra/system-types.ts';

/** One call as IAM sees it: an action on a resource ARN, and the request's condition keys (`dynamodb:LeadingKeys`). */
export interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, readonly string[]>>;
}

export interface LocalArns {
  table(logical: string): string;
  bucket(logical: string): string;
  stateMachine(logical: string): string;
  eventBus(name: string): string;
  signingKey(logical: string): string;
}

export class LocalPolicies {
  private readonly statements = new Map<string, Statement[]>();

  constructor(functions: Readonly<Record<string, FunctionDeclaration>>, arns: LocalArns) {
    for (const [name, fn] of Object.entries(functions)) {
      this.statements.set(
        name,
        grantStatements(fn.grants, {
          table: (logical) => ({ arn: arns.table(logical), indexArn: `${arns.table(logical)}/index/*` }),
          bucket: (logical) => ({ arn: arns.bucket(logical) }),
          stateMachine: (logical) => ({ arn: arns.stateMachine(logical), executionsArn: `${arns.stateMachine(logical).replace(':stateMachine:', ':execution:')}:*` }),
          eventBus: (name) => ({ arn: arns.eventBus(name) }),
          keyArn: 'arn:aws:kms:local:000000000000:key/local',
          signingKey: (logical) => ({ arn: arns.signingKey(logical) }),
        }),
      );
    }
  }

  /** Whether `fn` may perform the request (an undeclared function may do nothing). */
  allows(fn: string, request: Request): boolean {
    return (this.statements.get(fn) ?? []).some(
      (statement) =>
        statement.actions.some((action) => matches(action, request.action, true)) &&
        statement.resources.some((resource) => matches(resource, request.resource, false)) &&
        conditionsHold(statement.conditions, request.context ?? {}),
    );
  }

  /** The first request `fn` may not perform, if any. */
  firstDenied(fn: string, requests: readonly Request[]): Request | undefined {
    return requests.find((request) => !this.allows(fn, request));
  }
}

/**
 * IAM's condition evaluation for the operators grants produce (grants.ts): every operator and
 * every key must hold. `ForAllValues:StringLike`: each of the request's values matches one
 * pattern (case-sensitive); a request without the key passes, as in AWS, which is why
 * leading-key grants are limited to actions that always name their keys (LEADING_KEY_ACTIONS).
 */
function conditionsHold(conditions: Conditions | undefined, context: Readonly<Record<string, readonly string[]>>): boolean {
  return Object.entries(conditions ?? {}).every(([operator, keys]) => {
    if (operator !== 'ForAllValues:StringLike') throw new Error(`local IAM does not evaluate the condition operator ${operator}`);
    return Object.entries(keys).every(([key, patterns]) => (context[key] ?? []).every((value) => patterns.some((pattern) => matches(pattern, value, false))));
  });
}

/** IAM's pattern matching: `*` any run of characters, `?` one; actions ignore case. */
function matches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/** The message AWS gives a refused call. */
export function deniedMessage(fn: string, request: Request, account: string): string {
  return `User: arn:aws:sts::${account}:assumed-role/strata-${fn}-role/strata-${fn} is not authorized to perform: ${request.action} on resource: ${request.resource} because no identity-based policy allows the ${request.action} action`;
}
