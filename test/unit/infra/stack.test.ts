import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, nagPacks, PROJECT_ROOT } from '../../../infra/app.ts';
import { BASELINE_ACTIONS, grantedActions } from '../../../infra/constructs/grants.ts';
import { STACK_SUPPRESSIONS } from '../../../infra/nag-suppressions.ts';
import { RouteTable } from '../../../infra/local/route-table.ts';
import { placeholdersOf, readDefinitionText } from '../../../infra/asl.ts';
import { system } from '../../../infra/system.ts';
import type { SystemDeclaration } from '../../../infra/system-types.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Synthesizes the app as `cdk synth` does (cdk.json context), without bundling the functions. */
function synth(declaration: SystemDeclaration = system) {
  const { context } = JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildApp(app, declaration);
  return { app, ...stacks, template: Template.fromStack(stacks.primary) };
}

/** "GET /dicom-web/studies/{study}" for every API method in a template. */
function apiRoutes(resources: Resources): Set<string> {
  const path = (id: string): string => {
    const resource = resources[id];
    if (!resource || resource.Type !== 'AWS::ApiGateway::Resource') return '';
    const parent = resource.Properties.ParentId as { Ref?: string };
    return `${parent.Ref ? path(parent.Ref) : ''}/${resource.Properties.PathPart as string}`;
  };
  const routes = new Set<string>();
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::ApiGateway::Method' || resource.Properties.HttpMethod === 'OPTIONS') continue;
    const target = resource.Properties.ResourceId as { Ref?: string };
    routes.add(`${resource.Properties.HttpMethod as string} ${target.Ref ? path(target.Ref) : '/'}`);
  }
  return routes;
}

describe('The CDK app (synthesized offline)', () => {
  let synthesized: ReturnType<typeof synth>;
  let resources: Resources;

  beforeAll(() => {
    synthesized = synth();
    resources = synthesized.template.toJSON().Resources as Resources;
  });

  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  it('has every declared route, with its scope, and no other', () => {
    expect(apiRoutes(resources)).toEqual(new Set(system.routes.map((r) => `${r.method} ${r.path}`)));
    const scoped = ofType('AWS::ApiGateway::Method').filter(([, m]) => m.Properties.AuthorizationType === 'COGNITO_USER_POOLS');
    expect(scoped).toHaveLength(system.routes.filter((r) => 'scope' in r).length);
    for (const [, method] of scoped) expect(method.Properties.AuthorizationScopes).toEqual([expect.stringMatching(/^strata\/(dicom|ilm)\.\w+$/)]);
  });

  it('declares DICOM bodies binary and streams WADO-RS responses', () => {
    synthesized.template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'] });
    const streamed = ofType('AWS::ApiGateway::Method').filter(([, m]) => (m.Properties.Integration as { ResponseTransferMode?: string }).ResponseTransferMode === 'STREAM');
    expect(streamed).toHaveLength(system.routes.filter((r) => r.function === 'retrieve').length);
  });

  it('has one Node.js 22 arm64 function per declared handler', () => {
    const functions = ofType('AWS::Lambda::Function').filter(([, f]) => f.Properties.Runtime === 'nodejs22.x');
    expect(functions.map(([, f]) => f.Properties.Description).sort()).toEqual(Object.values(system.functions).map((f) => f.description).sort());
    for (const [, fn] of functions) expect(fn.Properties.Architectures).toEqual(['arm64']);
  });

  it('gives each function exactly the IAM actions its declaration grants', () => {
    const policies = ofType('AWS::IAM::ManagedPolicy');
    for (const [name, declaration] of Object.entries(system.functions)) {
      const [, fn] = ofType('AWS::Lambda::Function').find(([, f]) => f.Properties.Description === declaration.description)!;
      const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const actions = policies
        .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
        .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement.flatMap((s) => s.Action));
      expect(new Set(actions), name).toEqual(new Set([...grantedActions(declaration.grants), ...BASELINE_ACTIONS]));
    }
  });

  it('has the declared table and indexes, encrypted with a customer key, with PITR and deletion protection', () => {
    const table = system.tables.index;
    synthesized.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: table.partitionKey, KeyType: 'HASH' },
        { AttributeName: table.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: table.globalIndexes.map((gsi) => Match.objectLike({ IndexName: gsi.name })),
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
    });
  });

  it('keeps the archive versioned, Object-Locked, KMS-encrypted and TLS-only', () => {
    synthesized.template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ BucketKeyEnabled: true, ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } })]) },
    });
    synthesized.template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
    synthesized.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('builds each state machine from its ASL file, substituting only functions that exist', () => {
    const machines = ofType('AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(Object.keys(system.stateMachines).length);
    for (const [logical, declaration] of Object.entries(system.stateMachines)) {
      const [, machine] = machines.find(([, m]) => m.Properties.StateMachineName === `strata-${logical}`)!;
      const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>;
      expect(Object.keys(substitutions).sort()).toEqual(placeholdersOf(readDefinitionText(PROJECT_ROOT, declaration.file)));
      for (const value of Object.values(substitutions)) expect(resources[value['Fn::GetAtt'][0]]?.Type).toBe('AWS::Lambda::Function');
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
    }
  });

  it('starts each scheduled state machine on its schedule', () => {
    for (const [logical, declaration] of Object.entries(system.stateMachines)) {
      if (!('schedule' in declaration)) continue;
      const [machineId] = ofType('AWS::StepFunctions::StateMachine').find(([, m]) => m.Properties.StateMachineName === `strata-${logical}`)!;
      synthesized.template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: declaration.schedule,
        Targets: [Match.objectLike({ Arn: { Ref: machineId } })],
      });
    }
  });

  it('routes the declared S3 events to their functions, with a dead-letter queue', () => {
    for (const rule of system.eventRules) {
      synthesized.template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectLike({ source: ['aws.s3'], 'detail-type': [...rule.detailTypes] }),
        Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21600 } })],
      });
    }
  });

  it('passes the AWS Solutions and HIPAA Security packs with no unacknowledged finding', () => {
    for (const pack of nagPacks(synthesized.app)) {
      for (const stack of [synthesized.primary, synthesized.dr]) {
        const violations = pack.validateScope(stack).violations.map((v) => `${stack.stackName} ${v.ruleName}`);
        expect(violations).toEqual([]);
      }
    }
  });

  it('documents every acknowledged rule in docs/security.md', () => {
    const doc = readFileSync(resolve(PROJECT_ROOT, 'docs/security.md'), 'utf8');
    for (const { id } of STACK_SUPPRESSIONS) expect(doc, id).toContain(id.replace(/\[.*$/, ''));
  });
});

describe('One declaration for both runtimes', () => {
  it('puts a route added to the declaration into the local gateway and into the CDK stack', () => {
    const extra = { method: 'GET' as const, path: '/dicom-web/echo', function: 'health', scope: 'dicom.read' };
    const declaration: SystemDeclaration = { ...system, routes: [...system.routes, extra] };
    expect(new RouteTable(system.routes).match('GET', '/dicom-web/echo')).toBeUndefined();
    expect(new RouteTable(declaration.routes).match('GET', '/dicom-web/echo')?.route.function).toBe('health');
    const resources = synth(declaration).template.toJSON().Resources as Resources;
    expect(apiRoutes(resources).has('GET /dicom-web/echo')).toBe(true);
  });
});
