/**
 * Least-privilege IAM from the declaration: each grant (`table:index` + actions) becomes one
 * statement on exactly that resource, plus the KMS actions its encryption needs. The stack
 * attaches these; the stack test compares them with a table written out by hand (test/unit/infra/expected-iam.ts).
 */
import { LEADING_KEY_ACTIONS, type GrantDeclaration } from '#infra/system-types.ts';

export interface ResourceArns {
  table(logical: string): { arn: string; indexArn: string };
  /** A bucket, and the key its objects are encrypted with when it is not `keyArn` (the DR replica's is the DR stack's). */
  bucket(logical: string): { arn: string; keyArn?: string };
  stateMachine(logical: string): { arn: string; executionsArn: string };
  /** An EventBridge bus by name (`default`: the account's default bus). */
  eventBus(name: string): { arn: string };
  keyArn: string;
  /** A declared signing key (`key:<logical>` grants: kms:Sign, kms:GetPublicKey). */
  signingKey?(logical: string): { arn: string };
}

/** IAM condition operators → condition keys → values (a PolicyStatement's `conditions`). */
export type Conditions = Record<string, Record<string, string[]>>;

export interface Statement {
  actions: string[];
  resources: string[];
  conditions?: Conditions;
}

/** The condition a grant's `leadingKeys` becomes: every partition key the request touches matches one pattern. */
export const leadingKeysCondition = (patterns: readonly string[]): Conditions => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...patterns] } });

/** Actions on the bucket itself, not its objects (Service Authorization Reference: resource type `bucket`). */
export const BUCKET_LEVEL: ReadonlySet<string> = new Set(['s3:ListBucket', 's3:ListBucketVersions', 's3:GetBucketLocation']);

export function grantStatements(grants: readonly GrantDeclaration[], arns: ResourceArns): Statement[] {
  const statements: Statement[] = [];
  // KMS actions per key: the stack's key, or a bucket's own (the replica's, in the DR Region).
  const kmsByKey = new Map<string, Set<string>>();
  const kmsOn = (keyArn: string) => kmsByKey.get(keyArn) ?? kmsByKey.set(keyArn, new Set()).get(keyArn)!;
  const kms = kmsOn(arns.keyArn);
  for (const grant of grants) {
    const [kind, logical] = grant.resource.split(':') as [string, string];
    const actions = [...grant.actions];
    if (grant.leadingKeys && kind !== 'table') throw new Error(`${grant.resource}: leadingKeys limits table grants only`);
    if (kind === 'table') {
      const { arn, indexArn } = arns.table(logical);
      const statement: Statement = { actions, resources: actions.includes('dynamodb:Query') ? [arn, indexArn] : [arn] };
      if (grant.leadingKeys) {
        const unlimited = actions.filter((action) => !LEADING_KEY_ACTIONS.includes(action));
        if (unlimited.length) throw new Error(`${grant.resource}: leadingKeys cannot limit ${unlimited.join(', ')} (the request may name no partition key)`);
        if (grant.leadingKeys.length === 0) throw new Error(`${grant.resource}: leadingKeys names no pattern`);
        statement.conditions = leadingKeysCondition(grant.leadingKeys);
      }
      statements.push(statement);
      kms.add('kms:Decrypt');
      if (actions.some((a) => /Put|Update|Delete|Write/.test(a))) kms.add('kms:Encrypt').add('kms:GenerateDataKey');
    } else if (kind === 'bucket') {
      const { arn, keyArn } = arns.bucket(logical);
      const objectKms = kmsOn(keyArn ?? arns.keyArn);
      const objectActions = actions.filter((a) => !BUCKET_LEVEL.has(a));
      const bucketActions = actions.filter((a) => BUCKET_LEVEL.has(a));
      if (objectActions.length) statements.push({ actions: objectActions, resources: [`${arn}/*`] });
      if (bucketActions.length) statements.push({ actions: bucketActions, resources: [arn] });
      // GetObject decrypts; HeadObject with ChecksumMode (authorized as GetObject) needs kms:Decrypt too.
      if (objectActions.includes('s3:GetObject')) objectKms.add('kms:Decrypt');
      if (objectActions.includes('s3:PutObject')) objectKms.add('kms:GenerateDataKey').add('kms:Decrypt');
    } else if (kind === 'stateMachine') {
      statements.push({ actions, resources: [arns.stateMachine(logical).arn] });
    } else if (kind === 'execution') {
      statements.push({ actions, resources: [arns.stateMachine(logical).executionsArn] });
    } else if (kind === 'eventBus') {
      statements.push({ actions, resources: [arns.eventBus(logical).arn] });
    } else if (kind === 'key') {
      if (!arns.signingKey) throw new Error(`key:${logical} is granted but no signing key ARNs were given`);
      statements.push({ actions, resources: [arns.signingKey(logical).arn] });
    }
  }
  for (const [keyArn, actions] of kmsByKey) if (actions.size) statements.push({ actions: [...actions].sort(), resources: [keyArn] });
  return statements;
}

/** What every function's role carries besides its grants: its own log stream and X-Ray. */
export const BASELINE_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

/** X-Ray accepts no resource-level permissions: one shared policy on `*` (infra/strata-stack.ts). */
export const TRACING_ACTIONS = BASELINE_ACTIONS.filter((a) => a.startsWith('xray:'));
