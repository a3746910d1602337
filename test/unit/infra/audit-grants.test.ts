/**
 * No function may change or remove an audit record. Read from the synthesized template itself
 * (every IAM policy, whatever code produced it), not from the grant declarations: the audit
 * table is found by its indexes, and each statement that can reach it is checked against the
 * actions that rewrite or remove items (wildcards expanded).
 */
import { describe, expect, it } from 'vitest';
import { system } from '#infra/system.ts';
import type { SystemDeclaration } from '#infra/system-types.ts';
import { synth } from '#test/helpers/synth.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
interface Statement {
  Effect: string;
  Action?: string | string[];
  Resource?: unknown;
}

/** Actions that would let a function alter, remove or expire what the trail holds. */
const FORBIDDEN = [
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
  'dynamodb:PartiQLInsert',
  'dynamodb:UpdateTable',
  'dynamodb:DeleteTable',
  'dynamodb:UpdateTimeToLive',
];

const matches = (pattern: string, action: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(action);

/** Every Allow statement of every policy in the template, with where it came from. */
function allowStatements(resources: Resources): { policy: string; statement: Statement }[] {
  const found: { policy: string; statement: Statement }[] = [];
  const add = (policy: string, document: unknown) => {
    for (const statement of ((document as { Statement?: Statement[] } | undefined)?.Statement ?? [])) if (statement.Effect === 'Allow') found.push({ policy, statement });
  };
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::IAM::ManagedPolicy' || resource.Type === 'AWS::IAM::Policy') add(id, resource.Properties.PolicyDocument);
    if (resource.Type === 'AWS::IAM::Role') for (const inline of (resource.Properties.Policies ?? []) as { PolicyDocument: unknown }[]) add(id, inline.PolicyDocument);
  }
  return found;
}

/** Statements that name the audit table (or its indexes) or any resource at all (`*`). */
function reachingAuditTable(resources: Resources): { policy: string; actions: string[] }[] {
  const [auditTable] = Object.entries(resources).find(
    ([, r]) => r.Type === 'AWS::DynamoDB::Table' && ((r.Properties.GlobalSecondaryIndexes ?? []) as { IndexName: string }[]).some((gsi) => gsi.IndexName === 'byPatient'),
  )!;
  return allowStatements(resources)
    .filter(({ statement }) => {
      const targets = [statement.Resource].flat();
      return targets.some((target) => target === '*' || JSON.stringify(target).includes(`"${auditTable}"`) || /:table\/\*/.test(JSON.stringify(target)));
    })
    .map(({ policy, statement }) => ({ policy, actions: [statement.Action ?? []].flat() }));
}

const forbiddenIn = (reaching: { policy: string; actions: string[] }[]) =>
  reaching.flatMap(({ policy, actions }) => actions.flatMap((action) => FORBIDDEN.filter((forbidden) => matches(action, forbidden)).map((forbidden) => `${policy}: ${action} allows ${forbidden}`)));

describe('The audit table in the synthesized template', () => {
  it('is appended to by the audited functions, and no role can update, delete or batch-write its items', () => {
    const resources = synth().template.toJSON().Resources as Resources;
    const reaching = reachingAuditTable(resources);
    expect(reaching.filter(({ actions }) => actions.includes('dynamodb:PutItem')).length).toBeGreaterThanOrEqual(7);
    expect(forbiddenIn(reaching)).toEqual([]);
  }, 300_000);

  it('would catch a function granted UpdateItem on it, and a wildcard statement', () => {
    const declaration: SystemDeclaration = {
      ...system,
      functions: { ...system.functions, health: { ...system.functions.health, grants: [...system.functions.health.grants, { resource: 'table:audit', actions: ['dynamodb:UpdateItem'] }] } },
    };
    const resources = synth(declaration).template.toJSON().Resources as Resources;
    expect(forbiddenIn(reachingAuditTable(resources)).map((line) => line.split(': ')[1])).toEqual(['dynamodb:UpdateItem allows dynamodb:UpdateItem']);
    // cdk-nag refuses wildcards at synth; a policy added beside the stack's own is still read.
    resources.Planted = { Type: 'AWS::IAM::Policy', Properties: { PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'dynamodb:*Item', Resource: '*' }] } } };
    expect(forbiddenIn(reachingAuditTable(resources)).filter((line) => line.startsWith('Planted'))).toEqual(['Planted: dynamodb:*Item allows dynamodb:UpdateItem', 'Planted: dynamodb:*Item allows dynamodb:DeleteItem', 'Planted: dynamodb:*Item allows dynamodb:BatchWriteItem']);
  }, 300_000);
});
