/**
 * The environment each function receives, derived from its grants in the declaration.
 * Both the CDK stack and the local runtime call this, so a handler reads the same variable
 * names wherever it runs (see lambdas/config.ts for the reading side).
 */
import { policyEnvironment } from './lifecycle/policy-environment.ts';
import type { FunctionDeclaration, GrantDeclaration } from './system-types.ts';

/** Physical names/ARNs of declared resources, as each runtime resolves them. */
export interface ResolvedResources {
  table(logical: string): string;
  bucket(logical: string): string;
  stateMachineArn(logical: string): string;
  /** Where a function's `staticFiles` folder is when it runs (in the bundle in AWS, in place locally). */
  staticFiles(folder: string): string;
  /** A declared signing key's ARN (`key:<logical>` grants). */
  signingKeyArn?(logical: string): string;
}

export const STATIC_FILES_ENV = 'STATIC_FILES_DIR';

const screaming = (logical: string) => logical.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toUpperCase();

/** `table:index` → `TABLE_INDEX`, `stateMachine:fixityAudit` → `STATE_MACHINE_FIXITY_AUDIT`, `bucket:dr-replica` → `BUCKET_DR_REPLICA`. */
export function envNameForResource(resource: GrantDeclaration['resource']): string | undefined {
  const [kind, logical] = resource.split(':') as [string, string];
  if (kind === 'execution') return undefined; // covered by the state machine's own variable
  return `${screaming(kind)}_${screaming(logical)}`;
}

export function functionEnvironment(fn: FunctionDeclaration, resolved: ResolvedResources): Record<string, string> {
  const env: Record<string, string> = {};
  for (const grant of fn.grants) {
    const name = envNameForResource(grant.resource);
    if (!name) continue;
    const [kind, logical] = grant.resource.split(':') as [string, string];
    // An event bus is named the same everywhere (`default`: the account's, locally the runtime's).
    env[name] =
      kind === 'table'
        ? resolved.table(logical)
        : kind === 'bucket'
          ? resolved.bucket(logical)
          : kind === 'eventBus'
            ? logical
            : kind === 'key'
              ? signingKeyArn(resolved, logical)
              : resolved.stateMachineArn(logical);
  }
  if (fn.lifecyclePolicy) env.LIFECYCLE_POLICY = policyEnvironment(fn.lifecyclePolicy);
  if (fn.staticFiles) env[STATIC_FILES_ENV] = resolved.staticFiles(fn.staticFiles);
  return env;
}

function signingKeyArn(resolved: ResolvedResources, logical: string): string {
  if (!resolved.signingKeyArn) throw new Error(`key:${logical} is granted but this runtime resolves no signing keys`);
  return resolved.signingKeyArn(logical);
}
