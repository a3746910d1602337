/**
 * Local IAM for the runtime: the declared functions' policies and the guard of each endpoint.
 * runtime.ts builds one from the declaration and hands each emulator its guard.
 */
import type { FunctionDeclaration, TableDeclaration } from '#infra/system-types.ts';
import { dynamoGuard, eventsGuard, kmsGuard, s3Guard, stepFunctionsGuard, type Guard } from './guards.ts';
import { LocalPolicies, type LocalArns } from './policy.ts';

export interface LocalIam {
  policies: LocalPolicies;
  s3: Guard;
  dynamodb: Guard;
  stepFunctions: Guard;
  events: Guard;
  kms: Guard;
}

export function localIam(
  functions: Readonly<Record<string, FunctionDeclaration>>,
  names: { table: (logical: string) => string; bucket: (logical: string) => string; stateMachineArn: (logical: string) => string; signingKeyArn: (logical: string) => string },
  where: { region: string; account: string },
  /** The declared tables: their partition keys are what `dynamodb:LeadingKeys` conditions compare. */
  tables: Readonly<Record<string, TableDeclaration>>,
): LocalIam {
  const partitionKeys = new Map(Object.entries(tables).map(([logical, table]) => [names.table(logical), table.partitionKey]));
  const tableArn = (physical: string) => `arn:aws:dynamodb:${where.region}:${where.account}:table/${physical}`;
  const arns: LocalArns = {
    table: (logical) => tableArn(names.table(logical)),
    bucket: (logical) => `arn:aws:s3:::${names.bucket(logical)}`,
    stateMachine: names.stateMachineArn,
    eventBus: (name) => `arn:aws:events:${where.region}:${where.account}:event-bus/${name}`,
    signingKey: names.signingKeyArn,
  };
  const policies = new LocalPolicies(functions, arns);
  return {
    policies,
    s3: s3Guard(policies, where.account),
    dynamodb: dynamoGuard(policies, where.account, tableArn, (physical) => partitionKeys.get(physical)),
    stepFunctions: stepFunctionsGuard(policies, where.account),
    events: eventsGuard(policies, where.account, arns.eventBus),
    // A key named by id is the same key as by ARN (the KMS API takes either).
    kms: kmsGuard(policies, where.account, (id) => (id.startsWith('arn:') ? id : `arn:aws:kms:${where.region}:${where.account}:key/${id}`)),
  };
}
