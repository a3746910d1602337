import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App, Stack, type CfnResource, type NestedStack } from 'aws-cdk-lib';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, nagPacks, PROJECT_ROOT } from '#infra/app.ts';
import { REASONS } from '#infra/nag-suppressions.ts';
import { RouteTable } from '#core/routing/route-table.ts';
import { placeholdersOf, readDefinitionText } from '#infra/asl.ts';
import { system } from '#infra/system.ts';
import { compileLifecycleRules } from '#infra/lifecycle/compile-rules.ts';
import { loadPolicy } from '#infra/lifecycle/load-policy.ts';
import { functionTimeoutSeconds, type SystemDeclaration } from '#infra/system-types.ts';
import { wafLogGroupName } from '#infra/constructs/scoped-names.ts';
import { stateMachineName } from '#infra/constructs/workflows.ts';
import { TRACE_COLLECTOR_IMAGE } from '#infra/constructs/data-plane-service.ts';
import { TemplateReader } from './key-policy.ts';
import { synth } from '#test/helpers/synth.ts';
import { EXPECTED_DATA_PLANE, EXPECTED_POLICIES, EXPECTED_TRACING, POLICY_ACCOUNT, type ExpectedStatement } from './expected-iam.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
const ACCOUNT = '123456789012';
/** A deployment with the data plane: its hostname and the ACM certificate for it. */
const DATA_PLANE_CONTEXT = { dataPlaneDomainName: 'stow.hospital.example', dataPlaneCertificateArn: `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/data-plane` };

/**
 * A nested stack's resources as its parent passes them values: each `{ Ref: <parameter> }` replaced by
 * what the parent gives the parameter (`{ Ref: referencetoStrata…Arn }` → `{ Fn::GetAtt: [<parent id>, Arn] }`).
 */
function asParentSees(nested: NestedStack, parentResources: Resources): Resources {
  const passed = parentResources[nested.nestedStackParent!.getLogicalId(nested.nestedStackResource!)]!.Properties.Parameters as Record<string, unknown>;
  const template = Template.fromStack(nested).toJSON() as { Parameters?: Record<string, unknown>; Resources: Resources };
  // Every parameter is one the parent fills (no default, nothing for an operator to set).
  expect(Object.keys(template.Parameters ?? {}).sort()).toEqual(Object.keys(passed).sort());
  const inline = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(inline);
    if (!value || typeof value !== 'object') return value;
    const ref = (value as { Ref?: unknown }).Ref;
    if (typeof ref === 'string' && ref in passed) return passed[ref];
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, inline(v)]));
  };
  return inline(template.Resources) as Resources;
}

/** Every stack of the app, nested ones included. */
function stacksOf(app: App): Stack[] {
  return app.node.findAll().filter((construct): construct is Stack => Stack.isStack(construct));
}

/** "GET /dicom-web/studies/{study}" for every API method in a template. */
function apiRoutes(resources: Resources): Set<string> {
  return new Set(apiMethods(resources).keys());
}

/** Each API method of a template by "METHOD /path", with its resource (OPTIONS left out). */
function apiMethods(resources: Resources): Map<string, Resources[string]> {
  const path = (id: string): string => {
    const resource = resources[id];
    if (!resource || resource.Type !== 'AWS::ApiGateway::Resource') return '';
    const parent = resource.Properties.ParentId as { Ref?: string };
    return `${parent.Ref ? path(parent.Ref) : ''}/${resource.Properties.PathPart as string}`;
  };
  const routes = new Map<string, Resources[string]>();
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::ApiGateway::Method' || resource.Properties.HttpMethod === 'OPTIONS') continue;
    const target = resource.Properties.ResourceId as { Ref?: string };
    routes.set(`${resource.Properties.HttpMethod as string} ${target.Ref ? path(target.Ref) : '/'}`, resource);
  }
  return routes;
}

/**
 * The scope each route must demand, written from the security model (docs/security.md), not
 * read from the declaration: reading is dicom.read, storing dicom.write, deleting (and following a deletion)
 * dicom.delete, administration ilm.admin (approving a disposition admin), finance reports finance.read,
 * restores dicom.read, holds legal.hold, and only the health check and the console's static files
 * (no data: the page asks for a token) are public.
 */
function expectedScope(route: string): string | undefined {
  const [method, path] = route.split(' ') as [string, string];
  if (route === 'GET /health' || route === 'GET /console' || route === 'GET /console/{path+}') return undefined;
  if (path.startsWith('/admin/')) return 'strata/ilm.admin';
  if (path === '/audit' || path.startsWith('/audit/')) return 'strata/admin';
  if (path === '/holds' || path.startsWith('/holds/')) return 'strata/legal.hold';
  // Producing held data for litigation is counsel's act, as placing the hold is (docs/exports.md).
  if (path === '/exports' || path.startsWith('/exports/')) return 'strata/legal.hold';
  if (path.startsWith('/finance/')) return 'strata/finance.read';
  // Approving or rejecting a deletion is an administrator's act; the rest of disposition is lifecycle administration.
  if (path.startsWith('/dispositions/') && (path.endsWith('/approve') || path.endsWith('/reject') || path.endsWith('/resume'))) return 'strata/admin';
  if (path === '/dispositions' || path.startsWith('/dispositions/')) return 'strata/ilm.admin';
  // Deleting, and following a deletion that outgrew its request.
  if (method === 'DELETE' || path.startsWith('/deletions/')) return 'strata/dicom.delete';
  // Presigned uploads are storing, reads of an upload's report included (it is the uploader's STOW answer).
  if (path === '/dicom-web/uploads' || path.startsWith('/dicom-web/uploads/')) return 'strata/dicom.write';
  if (method === 'POST' && path.startsWith('/dicom-web/studies')) return 'strata/dicom.write';
  if (method === 'GET' && path.startsWith('/dicom-web/')) return 'strata/dicom.read';
  // Restoring archived studies ahead of a read: whoever may read may have them brought back (docs/lifecycle.md).
  if (path === '/restores' || path.startsWith('/restores/')) return 'strata/dicom.read';
  throw new Error(`no expected scope written for ${route}: add it here`);
}

describe('The CDK app (synthesized offline)', () => {
  let synthesized: ReturnType<typeof synth>;
  let resources: Resources;

  // Synthesis with cdk-nag takes a minute on a loaded two-core machine.
  /** The workflows' nested stack's resources, its parameters replaced by what the primary stack passes. */
  let workflows: Resources;

  // Synthesis with cdk-nag takes a minute on a loaded two-core machine.
  beforeAll(() => {
    synthesized = synth(system, DATA_PLANE_CONTEXT);
    resources = synthesized.template.toJSON().Resources as Resources;
    workflows = asParentSees(synthesized.primary.workflows, resources);
  }, 240_000); // a synth with cdk-nag takes minutes when the machine is loaded

  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  it('lets API Gateway invoke each routed function through this API only, with one permission per function', () => {
    const fromApi = ofType('AWS::Lambda::Permission').filter(([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com');
    const routed = new Set(system.routes.map((r) => r.function));
    expect(fromApi).toHaveLength(routed.size);
    const [[api]] = ofType('AWS::ApiGateway::RestApi') as [[string, unknown]];
    for (const [, permission] of fromApi) {
      // arn:aws:execute-api:<region>:<account>:<this API's id>/*/*/* — never any API of the account.
      expect(JSON.stringify(permission.Properties.SourceArn)).toMatch(new RegExp(`"arn:aws:execute-api:[^"]*",.*\\{"Ref":"${api}"\\},"/\\*/\\*/\\*"`));
    }
  });

  it('stays well under CloudFormation\'s 500 resources in every stack, with room for the domains to come', () => {
    // The data plane and the workflows are nested stacks of their own (each with its own 500), so the API keeps the primary's room.
    expect(stacksOf(synthesized.app).map((stack) => stack.node.path).sort()).toEqual(['Strata', 'Strata/DataPlane', 'Strata/Workflows', 'StrataDr']);
    // CDK refuses to synthesize past 500. The primary holds 431 today (one function costs 4: function,
    // role, policy, log group; one state machine 4 in the workflows' stack, which holds 39): past 480 the
    // next domain must move the workflow-only functions into the workflows' stack too (docs/security.md).
    for (const stack of stacksOf(synthesized.app)) expect(Object.keys(Template.fromStack(stack).toJSON().Resources as Resources).length, stack.node.path).toBeLessThanOrEqual(480);
  });

  it('has every declared route, with its scope, and no other', () => {
    expect(apiRoutes(resources)).toEqual(new Set(system.routes.map((r) => `${r.method} ${r.path}`)));
    const scoped = ofType('AWS::ApiGateway::Method').filter(([, m]) => m.Properties.AuthorizationType === 'COGNITO_USER_POOLS');
    expect(scoped).toHaveLength(system.routes.filter((r) => 'scope' in r).length);
    for (const [, method] of scoped) expect(method.Properties.AuthorizationScopes).toEqual([expect.stringMatching(/^strata\/((dicom|ilm|legal|finance)\.\w+|admin)$/)]);
  });

  it('demands of every route the scope its action needs, route by route', () => {
    for (const [route, method] of apiMethods(resources)) {
      const scope = expectedScope(route);
      if (scope === undefined) expect(method.Properties.AuthorizationType, route).toBe('NONE');
      else {
        expect(method.Properties.AuthorizationType, route).toBe('COGNITO_USER_POOLS');
        expect(method.Properties.AuthorizationScopes, route).toEqual([scope]);
      }
    }
  });

  it('keeps PHI out of logs and keeps the data stores when the stack goes', () => {
    // Request and response bodies are DICOM and DICOM JSON: API Gateway must not log them.
    const [stage] = ofType('AWS::ApiGateway::Stage');
    const settings = stage![1].Properties.MethodSettings as { DataTraceEnabled?: boolean; LoggingLevel?: string }[];
    expect(settings.length).toBeGreaterThan(0);
    for (const setting of settings) expect(setting.DataTraceEnabled).toBe(false);
    // Execution data stays out of the logs (workflow state is opaque ids today, but logs outlive a state format).
    const machines = Object.entries(workflows).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
    expect(ofType('AWS::StepFunctions::StateMachine')).toEqual([]);
    expect(machines.length).toBe(Object.keys(system.stateMachines).length);
    for (const [id, machine] of machines) {
      expect((machine.Properties.LoggingConfiguration as { IncludeExecutionData: boolean }).IncludeExecutionData, id).toBe(false);
    }
    for (const type of ['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Cognito::UserPool']) {
      for (const [id, resource] of ofType(type)) expect((resource as { DeletionPolicy?: string }).DeletionPolicy, id).toBe('Retain');
    }
    for (const [id, table] of ofType('AWS::DynamoDB::Table')) expect(table.Properties.DeletionProtectionEnabled, id).toBe(true);
  });

  it('declares DICOM bodies binary and streams WADO-RS responses', () => {
    synthesized.template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'] });
    const streamed = ofType('AWS::ApiGateway::Method').filter(([, m]) => (m.Properties.Integration as { ResponseTransferMode?: string }).ResponseTransferMode === 'STREAM');
    expect(streamed).toHaveLength(system.routes.filter((r) => r.function === 'retrieve').length);
  });

  it('serves the console from a function that reads its static files from its own bundle, on public routes', () => {
    const [consoleFunction, ...others] = ofType('AWS::Lambda::Function').filter(([, f]) => f.Properties.Description === system.functions.console.description);
    expect(others).toHaveLength(0);
    // The folder the bundling step copies the built console into (infra/constructs/strata-function.ts).
    expect((consoleFunction![1].Properties.Environment as { Variables: Record<string, unknown> }).Variables.STATIC_FILES_DIR).toBe('/var/task/static');
    const methods = apiMethods(resources);
    for (const route of ['GET /console', 'GET /console/{path+}']) expect(methods.get(route)?.Properties.AuthorizationType, route).toBe('NONE');
    // Every other function lacks the variable: no other folder is shipped.
    for (const [, fn] of ofType('AWS::Lambda::Function').filter(([id]) => id !== consoleFunction![0])) {
      expect((fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.STATIC_FILES_DIR).toBeUndefined();
    }
  });

  it('has one Node.js 22 arm64 function per declared handler', () => {
    const functions = ofType('AWS::Lambda::Function').filter(([, f]) => f.Properties.Runtime === 'nodejs22.x');
    expect(functions.map(([, f]) => f.Properties.Description).sort()).toEqual(Object.values(system.functions).map((f) => f.description).sort());
    for (const [, fn] of functions) expect(fn.Properties.Architectures).toEqual(['arm64']);
  });

  it('gives each function exactly the IAM actions and resources its code needs, written out independently', () => {
    const reader = new TemplateReader(resources, POLICY_ACCOUNT, synthesized.primary.region);
    const hasIndex = (r: Resources[string], name: string) => ((r.Properties.GlobalSecondaryIndexes ?? []) as { IndexName: string }[]).some((g) => g.IndexName === name);
    const idOf = (type: string, where: (r: Resources[string]) => boolean = () => true) => {
      const found = ofType(type).filter(([, r]) => where(r));
      expect(found, type).toHaveLength(1);
      return found[0]![0];
    };
    const names: Record<string, string> = {
      [`<${idOf('AWS::DynamoDB::Table', (r) => hasIndex(r, 'gsi1'))}.Arn>`]: 'table',
      [`<${idOf('AWS::DynamoDB::Table', (r) => hasIndex(r, 'byPatient'))}.Arn>`]: 'audit',
      [`<${idOf('AWS::DynamoDB::Table', (r) => r.Properties.GlobalSecondaryIndexes === undefined)}.Arn>`]: 'clients',
      [`<${idOf('AWS::S3::Bucket', (r) => r.Properties.ObjectLockEnabled === true)}.Arn>`]: 'archive',
      [`<${idOf('AWS::S3::Bucket', (r) => JSON.stringify(r.Properties.LifecycleConfiguration ?? {}).includes('expire-objects'))}.Arn>`]: 'exports',
      [`<${idOf('AWS::KMS::Key', (r) => r.Properties.KeyUsage !== 'SIGN_VERIFY')}.Arn>`]: 'key',
      [`<${idOf('AWS::KMS::Key', (r) => r.Properties.KeyUsage === 'SIGN_VERIFY')}.Arn>`]: 'signing-key',
    };
    /** A template statement as sorted actions on sorted symbolic resources, one comparable string. */
    const normalize = (statements: { Action: string | string[]; Resource: unknown; Condition?: unknown }[], ownLogs: string) =>
      statements
        .map((s) => {
          const rendered = [s.Resource].flat().map((r) => reader.render(r).replace(/^<[^>]+\.Arn>/, (arn) => (arn === ownLogs ? 'own-logs' : (names[arn] ?? arn))));
          return JSON.stringify({ actions: [s.Action].flat().sort(), resources: rendered.sort(), ...(s.Condition ? { conditions: s.Condition } : {}) });
        })
        .sort();
    const expected = (statements: ExpectedStatement[]) =>
      statements.map((s) => JSON.stringify({ actions: [...s.actions].sort(), resources: [...s.resources].sort(), ...(s.conditions ? { conditions: s.conditions } : {}) })).sort();
    const policies = new Map(ofType('AWS::IAM::ManagedPolicy'));
    const [tracingId] = ofType('AWS::IAM::ManagedPolicy').find(([, p]) => p.Properties.Roles === undefined)!;
    const documentOf = (id: string) => (policies.get(id)!.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown; Effect: string }[] }).Statement;
    expect(normalize(documentOf(tracingId), '')).toEqual(expected(EXPECTED_TRACING));

    expect(Object.keys(EXPECTED_POLICIES).sort()).toEqual(Object.keys(system.functions).sort());
    for (const [name, declaration] of Object.entries(system.functions)) {
      const [, fn] = ofType('AWS::Lambda::Function').find(([, f]) => f.Properties.Description === declaration.description)!;
      const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const ownLogs = `<${(fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref}.Arn>`;
      // The role holds the shared tracing policy and one policy of its own, nothing else.
      expect((resources[roleId]!.Properties.ManagedPolicyArns as { Ref: string }[]).map((arn) => arn.Ref), name).toEqual([tracingId]);
      const own = [...policies].filter(([, p]) => ((p.Properties.Roles ?? []) as { Ref: string }[]).some((r) => r.Ref === roleId));
      expect(own, name).toHaveLength(1);
      const statements = documentOf(own[0]![0]);
      for (const statement of statements) expect(statement.Effect, name).toBe('Allow');
      // Soft: one run lists every function whose policy differs.
      expect.soft(normalize(statements, ownLogs), name).toEqual(expected(EXPECTED_POLICIES[name]!));
    }
    // The data plane's task policy, in its nested stack: the parent's tables, bucket and key reach it as parameters.
    const dataPlane = asParentSees(synthesized.primary.dataPlane!, resources);
    const inDataPlane = (type: string) => Object.entries(dataPlane).filter(([, r]) => r.Type === type);
    const [[, taskDefinition]] = inDataPlane('AWS::ECS::TaskDefinition') as [[string, Resources[string]]];
    const taskRoleId = (taskDefinition.Properties.TaskRoleArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    // The task role holds its own managed policy and, as every function's role, the shared X-Ray one (its trace
    // collector's PutTraceSegments); no inline one.
    const taskPolicies = (dataPlane[taskRoleId]!.Properties.ManagedPolicyArns as { Ref: string }[]).map((arn) => arn.Ref);
    expect(taskPolicies).toHaveLength(2);
    expect(taskPolicies[1]).toBe(tracingId);
    expect(inDataPlane('AWS::IAM::Policy').filter(([, p]) => ((p.Properties.Roles ?? []) as { Ref: string }[]).some((r) => r.Ref === taskRoleId))).toEqual([]);
    const taskStatements = (dataPlane[taskPolicies[0]!]!.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement;
    expect(normalize(taskStatements, ''), 'data plane').toEqual(expected(EXPECTED_DATA_PLANE));
  });

  it('limits the workflow-reference grant to reference and salt items with a dynamodb:LeadingKeys condition in every policy that carries it', () => {
    type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
    const statementsOf = (policy: Resources[string]) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const reference = `T#*#REF#ref:${'?'.repeat(32)}`;
    const carriers = Object.values(system.functions as SystemDeclaration['functions']).filter((fn) => fn.grants.some((grant) => grant.leadingKeys));
    // Every function that starts, follows or runs in a workflow (28 and more), and nothing else.
    expect(carriers.length).toBeGreaterThanOrEqual(28);
    const policies = ofType('AWS::IAM::ManagedPolicy').map(([, policy]) => policy);
    const limited = policies.filter((policy) => statementsOf(policy).some((statement) => statement.Condition));
    // One policy per carrier, and the data plane's task policy (in its nested stack) is checked by the IAM table.
    expect(limited).toHaveLength(carriers.length);
    for (const policy of limited) {
      const [statement, ...others] = statementsOf(policy).filter((s) => s.Condition);
      expect(others).toEqual([]);
      expect([statement!.Action].flat().sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
      expect(statement!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [reference, 'T#*#REFS'] } });
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
      // Workflow references expire: DynamoDB deletes an item once its `ttl` (epoch seconds) has passed.
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    // Only the index expires anything: the audit trail and the clients table keep every item.
    expect(ofType('AWS::DynamoDB::Table').filter(([, t]) => t.Properties.TimeToLiveSpecification !== undefined)).toHaveLength(1);
  });

  it('keeps the archive versioned, Object-Locked, KMS-encrypted and TLS-only', () => {
    synthesized.template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ BucketKeyEnabled: true, ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } })]) },
      // The cost allocation tag Cost Explorer filters the bill by (docs/finance.md).
      Tags: Match.arrayWith([{ Key: 'strata:bucket', Value: 'Strata/archive' }]),
    });
    synthesized.template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
    synthesized.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it("gives the archive bucket exactly the lifecycle rules compiled from the declared policy", () => {
    const [, archive] = ofType('AWS::S3::Bucket').find(([, r]) => r.Properties.ObjectLockEnabled)!;
    const { Rules, TransitionDefaultMinimumObjectSize } = archive.Properties.LifecycleConfiguration as {
      Rules: { Id: string; TagFilters?: { Key: string; Value: string }[]; ObjectSizeGreaterThan?: number | string; Transitions?: { StorageClass: string; TransitionInDays: number }[] }[];
      TransitionDefaultMinimumObjectSize?: string;
    };
    const deployed = Rules.filter((rule) => rule.Id.startsWith('ilm-')).map((rule) => ({
      id: rule.Id,
      tag: { key: rule.TagFilters![0]!.Key, value: rule.TagFilters![0]!.Value },
      objectSizeGreaterThan: Number(rule.ObjectSizeGreaterThan),
      transitions: rule.Transitions!.map((t) => ({ days: t.TransitionInDays, storageClass: t.StorageClass })),
    }));
    expect(deployed).toEqual(compileLifecycleRules(loadPolicy(system.buckets.archive.lifecyclePolicy)));
    expect(deployed.length).toBeGreaterThan(0);
    expect(TransitionDefaultMinimumObjectSize).toBe('all_storage_classes_128K');
    // Abandoned presigned uploads: parts aborted after a day, staged objects expired after a week, on the uploads prefix only.
    expect(Rules.find((rule) => rule.Id === 'abandoned-uploads')).toEqual({
      Id: 'abandoned-uploads',
      Status: 'Enabled',
      Prefix: 'staging/uploads/',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      ExpirationInDays: 7,
    });
    // A streamed part's staging object left current by a crash: expired after a day, by its tag (not
    // the prefix, which presigned uploads share).
    expect(Rules.find((rule) => rule.Id === 'staging-parts-left-behind')).toEqual({
      Id: 'staging-parts-left-behind',
      Status: 'Enabled',
      Prefix: 'staging/',
      TagFilters: [{ Key: 'strata-staging', Value: 'streamed-part' }],
      ExpirationInDays: 1,
    });
  });

  it('builds each state machine from its ASL file, substituting only functions that exist', () => {
    // The state machines are in the workflows' nested stack; the functions they name are the primary's.
    const machines = Object.entries(workflows).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(Object.keys(system.stateMachines).length);
    for (const [logical, declaration] of Object.entries(system.stateMachines)) {
      const [, machine] = machines.find(([, m]) => m.Properties.StateMachineName === `Strata-wf-${logical}`)!;
      const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>;
      expect(Object.keys(substitutions).sort()).toEqual(placeholdersOf(readDefinitionText(PROJECT_ROOT, declaration.file)));
      for (const value of Object.values(substitutions)) expect(resources[value['Fn::GetAtt'][0]]?.Type).toBe('AWS::Lambda::Function');
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
    }
  });

  it('lets only a workflow declared to continue as new start executions from its role, and only of itself', () => {
    type Statement = { Action: string | string[]; Resource: unknown };
    const starting = Object.values(workflows)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((policy) =>
        (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement.filter((st) => [st.Action].flat().includes('states:StartExecution')).map((st) => ({ roles: JSON.stringify(policy.Properties.Roles), resource: JSON.stringify(st.Resource) })),
      );
    expect(Object.entries(system.stateMachines).filter(([, m]) => 'continuesAsNew' in m && m.continuesAsNew).map(([logical]) => logical)).toEqual(['disposition']);
    expect(starting).toHaveLength(1);
    expect(starting[0]!.resource).toMatch(/:stateMachine:Strata-wf-disposition"\]\]\}$/);
    const machine = Object.values(workflows).find((r) => r.Type === 'AWS::StepFunctions::StateMachine' && r.Properties.StateMachineName === 'Strata-wf-disposition')!;
    const roleId = (machine.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(starting[0]!.roles).toBe(JSON.stringify([{ Ref: roleId }]));
  });

  it('keeps the workflows in a nested stack of their own, which no resource or output of the primary stack names', () => {
    const nestedId = synthesized.primary.getLogicalId(synthesized.primary.workflows.nestedStackResource!);
    expect(resources[nestedId]?.Type).toBe('AWS::CloudFormation::Stack');
    // State machines, their roles and log groups, and the schedule rules and their roles are all there.
    const machines = Object.values(workflows).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(Object.keys(system.stateMachines).length);
    const scheduled = Object.values(system.stateMachines).filter((m) => 'schedule' in m).length;
    expect(Object.values(workflows).filter((r) => r.Type === 'AWS::Events::Rule')).toHaveLength(scheduled);
    expect(ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression !== undefined)).toEqual([]);
    const roleServices = Object.values(workflows).filter((r) => r.Type === 'AWS::IAM::Role').map((r) => JSON.stringify(r.Properties.AssumeRolePolicyDocument));
    expect(roleServices.filter((doc) => doc.includes('states.amazonaws.com'))).toHaveLength(machines.length);
    expect(ofType('AWS::IAM::Role').filter(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('states.amazonaws.com'))).toEqual([]);
    // No dependency cycle: the primary's functions find the state machines by name, never by reference.
    expect(Object.keys(resources).filter((id) => id !== nestedId && JSON.stringify(resources[id]).includes(nestedId))).toEqual([]);
    expect(JSON.stringify(synthesized.template.toJSON().Outputs ?? {})).not.toContain(nestedId);
  });

  it('names each state machine after the primary stack, never `strata-<logical>` as before the nested stack, so an in-place update can create them', () => {
    // CloudFormation creates the nested stack's state machines before it deletes the ones the primary stack
    // held before this layout (named `strata-<logical>`): the same name would fail the update.
    const names = Object.values(workflows).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine').map((m) => m.Properties.StateMachineName as string);
    expect(names.sort()).toEqual(Object.keys(system.stateMachines).map((logical) => `Strata-wf-${logical}`).sort());
    for (const logical of Object.keys(system.stateMachines)) expect(names).not.toContain(`strata-${logical}`);
    // The functions' ARNs end with the same names (built, not referenced: no dependency cycle).
    const arns = ofType('AWS::Lambda::Function').flatMap(([, fn]) =>
      Object.entries(((fn.Properties.Environment ?? {}) as { Variables?: Record<string, unknown> }).Variables ?? {}).filter(([name]) => name.startsWith('STATE_MACHINE_')).map(([, value]) => JSON.stringify(value)),
    );
    expect(arns.length).toBeGreaterThan(0);
    for (const arn of arns) expect(names.some((name) => arn.includes(`:stateMachine:${name}"`)), arn).toBe(true);
    // Another deployment in the same account and Region (another stack name) takes other names; a long stack name is cut to 80.
    expect(stateMachineName('StrataStaging', 'restore')).toBe('StrataStaging-wf-restore');
    const long = stateMachineName('S'.repeat(128), 'indexMaintenance');
    expect(long).toHaveLength(80);
    expect(long).not.toBe(stateMachineName(`${'S'.repeat(127)}T`, 'indexMaintenance'));
  });

  it('starts each scheduled state machine on its schedule', () => {
    for (const [logical, declaration] of Object.entries(system.stateMachines)) {
      if (!('schedule' in declaration)) continue;
      const [machineId] = Object.entries(workflows).find(([, m]) => m.Type === 'AWS::StepFunctions::StateMachine' && m.Properties.StateMachineName === `Strata-wf-${logical}`)!;
      Template.fromStack(synthesized.primary.workflows).hasResourceProperties('AWS::Events::Rule', {
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
    // Presigned uploads: only objects created under the uploads prefix reach the indexer.
    synthesized.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'detail-type': ['Object Created'], detail: Match.objectLike({ object: { key: [{ prefix: 'staging/uploads/' }] } }) }),
    });
  });

  it('serves a REGIONAL endpoint (edge-optimized would cut streams after 30 s idle)', () => {
    synthesized.template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
  });

  it('puts a custom domain on a REGIONAL endpoint with a regional certificate', () => {
    const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/abc';
    const built = synth(system, { domainName: 'dicom.hospital.example', certificateArn });
    built.template.hasResourceProperties('AWS::ApiGateway::DomainName', { EndpointConfiguration: { Types: ['REGIONAL'] }, RegionalCertificateArn: certificateArn });
  });

  it('answers CORS preflights with MOCK integrations API Gateway can render as text despite binary */*', () => {
    const preflights = ofType('AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod === 'OPTIONS');
    const routed = new Set(ofType('AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS').map(([, m]) => JSON.stringify(m.Properties.ResourceId)));
    for (const resource of routed) expect(preflights.some(([, m]) => JSON.stringify(m.Properties.ResourceId) === resource), resource).toBe(true);
    for (const [id, method] of preflights) {
      const integration = method.Properties.Integration as { Type: string; ContentHandling?: string; IntegrationResponses: { ContentHandling?: string }[] };
      expect(integration.Type, id).toBe('MOCK');
      expect(integration.ContentHandling, id).toBe('CONVERT_TO_TEXT');
      for (const response of integration.IntegrationResponses) expect(response.ContentHandling, id).toBe('CONVERT_TO_TEXT');
    }
  });

  it('lets every service that writes to a resource encrypted with the customer key use the key, for this stack\'s resources only', () => {
    // The data plane's log groups (tasks, VPC flow logs) are in its nested stack, encrypted with the primary's key.
    const dataPlane = asParentSees(synthesized.primary.dataPlane!, resources);
    expect(Object.keys(dataPlane).filter((id) => id in resources)).toEqual([]);
    expect(Object.values(dataPlane).filter((r) => r.Type === 'AWS::Logs::LogGroup' && r.Properties.KmsKeyId)).toHaveLength(2);
    // So are the state machines' log groups, in the workflows' nested stack.
    expect(Object.keys(workflows).filter((id) => id in resources || id in dataPlane)).toEqual([]);
    expect(Object.values(workflows).filter((r) => r.Type === 'AWS::Logs::LogGroup' && r.Properties.KmsKeyId)).toHaveLength(Object.keys(system.stateMachines).length);
    const reader = new TemplateReader({ ...resources, ...dataPlane, ...workflows }, ACCOUNT, synthesized.primary.region);
    const writers = reader.writers();
    // Logs (Lambda, Step Functions, API Gateway), EventBridge → the dead-letter queue, CloudWatch alarms → the alarm topic.
    expect(new Set(writers.map((w) => w.service))).toEqual(new Set([`logs.${synthesized.primary.region}.amazonaws.com`, 'events.amazonaws.com', 'cloudwatch.amazonaws.com']));
    expect(writers.filter((w) => w.service === 'cloudwatch.amazonaws.com').map((w) => w.context['aws:SourceArn']!.split(':alarm:')[1]).sort()).toEqual(
      Object.values(workflows).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties.AlarmName as string).sort(),
    );
    for (const writer of writers) expect(reader.keyAllows(writer), `${writer.service} → ${writer.resource}`).toBe(true);
    // …and not on behalf of a resource outside the stack (aws:SourceArn / encryption context).
    for (const writer of writers) {
      const foreign = Object.fromEntries(Object.entries(writer.context).map(([k, v]) => [k, k === 'aws:SourceAccount' ? v : v.replace(ACCOUNT, '999999999999')]));
      expect(reader.keyAllows({ ...writer, context: foreign }), `${writer.service} for another account`).toBe(false);
    }
  });

  it('gives functions their timeouts by how they are invoked, and no inline policy beside their managed one', () => {
    const roles = new Set<string>();
    for (const [name, declaration] of Object.entries(system.functions)) {
      const [, fn] = ofType('AWS::Lambda::Function').find(([, f]) => f.Properties.Description === declaration.description)!;
      expect(fn.Properties.Timeout, name).toBe(functionTimeoutSeconds(system, name));
      roles.add((fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]);
    }
    const inline = ofType('AWS::IAM::Policy').filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => roles.has(r.Ref)));
    expect(inline.map(([id]) => id)).toEqual([]);
  });

  it('passes the AWS Solutions and HIPAA Security packs with no unacknowledged finding', () => {
    for (const pack of nagPacks(synthesized.app)) {
      for (const stack of [synthesized.primary, synthesized.primary.dataPlane!, synthesized.primary.workflows, synthesized.dr]) {
        const violations = pack.validateScope(stack).violations.map((v) => `${stack.stackName} ${v.ruleName}`);
        expect(violations).toEqual([]);
      }
    }
  });

  it('documents every acknowledged rule in docs/security.md', () => {
    const doc = readFileSync(resolve(PROJECT_ROOT, 'docs/security.md'), 'utf8');
    for (const { id } of Object.values(REASONS)) expect(doc, id).toContain(id.replace(/\[.*$/, ''));
  });

  it('gives every acknowledgment a reason a reviewer can check, not a placeholder', () => {
    for (const { id, reason } of Object.values(REASONS)) {
      expect(reason, id).not.toMatch(/\b(TODO|FIXME|TBD|XXX)\b/i);
      expect(reason.split(/\s+/).length, `${id}: "${reason}"`).toBeGreaterThanOrEqual(5);
    }
  });

  it('adds the tenant claim with a V3_0 pre-token-generation trigger on an Essentials user pool, reading only the clients table', () => {
    const [[, pool]] = ofType('AWS::Cognito::UserPool') as [[string, Resources[string]]];
    expect(pool.Properties.UserPoolTier).toBe('ESSENTIALS');
    const config = (pool.Properties.LambdaConfig as { PreTokenGenerationConfig?: { LambdaArn: { 'Fn::GetAtt': [string, string] }; LambdaVersion: string } }).PreTokenGenerationConfig;
    expect(config?.LambdaVersion).toBe('V3_0');
    const trigger = resources[config!.LambdaArn['Fn::GetAtt'][0]]!;
    expect(trigger.Type).toBe('AWS::Lambda::Function');
    expect(String(trigger.Properties.Description)).toMatch(/pre-token-generation/);
    // Cognito may invoke it, and the function's role grants it GetItem on the clients table alone.
    const roleId = (trigger.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = [...ofType('AWS::IAM::Policy'), ...ofType('AWS::IAM::ManagedPolicy')]
      .filter(([, policy]) => ((policy.Properties.Roles ?? []) as { Ref: string }[]).some((role) => role.Ref === roleId))
      .flatMap(([, policy]) => (policy.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement);
    const dynamo = statements.flatMap((statement) => [statement.Action].flat()).filter((action) => action.startsWith('dynamodb:'));
    expect(dynamo).toEqual(['dynamodb:GetItem']);
    const clientsTable = ofType('AWS::DynamoDB::Table').find(([id]) => id.includes('clients'))![0];
    expect(JSON.stringify(statements.find((statement) => [statement.Action].flat().includes('dynamodb:GetItem'))!.Resource)).toContain(clientsTable);
    expect(ofType('AWS::Lambda::Permission').some(([, permission]) => permission.Properties.Principal === 'cognito-idp.amazonaws.com')).toBe(true);
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

describe('The data plane on ECS Fargate behind an ALB (-c dataPlaneDomainName, -c dataPlaneCertificateArn)', () => {
  let built: ReturnType<typeof synth>;
  /** The primary stack's resources. */
  let parent: Resources;
  /** The data plane's nested stack's resources, its parameters replaced by what the primary stack passes. */
  let resources: Resources;
  beforeAll(() => {
    built = synth(system, DATA_PLANE_CONTEXT);
    parent = built.template.toJSON().Resources as Resources;
    resources = asParentSees(built.primary.dataPlane!, parent);
  }, 240_000);
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type).map(([, r]) => r);

  it('lives in a nested stack of the primary stack, which reads back only the load balancer\'s name', () => {
    const nested = Object.entries(parent).filter(([, r]) => r.Type === 'AWS::CloudFormation::Stack').map(([id]) => id);
    const nestedId = built.primary.getLogicalId(built.primary.dataPlane!.nestedStackResource!);
    // Beside the workflows' nested stack.
    expect(nested.sort()).toEqual([nestedId, built.primary.getLogicalId(built.primary.workflows.nestedStackResource!)].sort());
    // Network, ECS and load balancer resources are all in the nested stack; the primary holds none.
    expect(Object.values(parent).filter((r) => /^AWS::(EC2|ECS|ElasticLoadBalancingV2|ApplicationAutoScaling)::/.test(r.Type))).toEqual([]);
    expect(ofType('AWS::ECS::Service')).toHaveLength(1);
    // No resource of the primary stack refers to the nested one (no dependency cycle): only the outputs do.
    expect(Object.keys(parent).filter((id) => id !== nestedId && JSON.stringify(parent[id]).includes(nestedId))).toEqual([]);
    const outputs = built.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.DataPlaneUrl!.Value).toBe('https://stow.hospital.example/dicom-web');
    expect(outputs.DataPlaneLoadBalancer!.Value).toEqual({ 'Fn::GetAtt': [nestedId, expect.stringMatching(/^Outputs\.\w*LoadBalancer\w*DNSName$/)] });
  });
  const attributes = (resource: Resources[string], key: string) =>
    Object.fromEntries(((resource.Properties[key] ?? []) as { Key: string; Value: unknown }[]).map(({ Key, Value }) => [Key, Value]));

  it('runs one arm64 Fargate service whose container image CDK builds from this repository', () => {
    const [service] = ofType('AWS::ECS::Service');
    expect(service!.Properties.LaunchType).toBe('FARGATE');
    expect(service!.Properties.DesiredCount).toBe(1);
    const [task] = ofType('AWS::ECS::TaskDefinition');
    expect(task!.Properties.RuntimePlatform).toEqual({ CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' });
    const [container] = task!.Properties.ContainerDefinitions as { Image: unknown; ReadonlyRootFilesystem: boolean; HealthCheck: { Command: string[] }; LogConfiguration: { LogDriver: string }; Environment: { Name: string; Value: unknown }[] }[];
    expect(JSON.stringify(container!.Image)).toContain('cdk-hnb659fds-container-assets');
    expect(container!.ReadonlyRootFilesystem).toBe(true);
    expect(container!.HealthCheck.Command.join(' ')).toContain('/health');
    expect(container!.LogConfiguration.LogDriver).toBe('awslogs');
    const env = Object.fromEntries(container!.Environment.map(({ Name, Value }) => [Name, Value]));
    // Its routes and scopes are the declaration's STOW-RS and whole-resource WADO-RS routes.
    const routes = JSON.parse(env.STRATA_DATA_PLANE_ROUTES as string) as { method: string; path: string; scope?: string }[];
    expect(routes.map((r) => `${r.method} ${r.path} ${r.scope}`)).toEqual(
      system.routes.filter((r) => (r.method === 'POST' && r.function === 'storeInstances') || (r.function === 'retrieve' && !/metadata|frames|bulkdata|rendered|thumbnail/.test(r.path))).map((r) => `${r.method} ${r.path} ${'scope' in r ? r.scope : undefined}`),
    );
    expect(routes.every((r) => r.scope === 'dicom.read' || r.scope === 'dicom.write')).toBe(true);
    const [poolId] = Object.entries(parent).find(([, r]) => r.Type === 'AWS::Cognito::UserPool')!;
    expect(env.STRATA_USER_POOL_ID).toEqual({ Ref: poolId });
    expect(env.STRATA_PUBLIC_URL).toBe('https://stow.hospital.example');
    // A 1 GB task serves 3 STOW-RS at once (~128 MiB each above its baseline and the trace collector's 96 MiB), and audits the client's address.
    expect(env.STRATA_DATA_PLANE_MAX_STOWS).toBe('3');
    expect(env.STRATA_BEHIND_LOAD_BALANCER).toBe('true');
  });

  it('sends the service\'s traces to X-Ray through an OpenTelemetry collector beside it, as the functions trace', () => {
    const [task] = ofType('AWS::ECS::TaskDefinition');
    type Container = { Name: string; Image: unknown; Essential?: boolean; Memory?: number; ReadonlyRootFilesystem?: boolean; RestartPolicy?: { Enabled: boolean }; DependsOn?: { ContainerName: string; Condition: string }[]; LogConfiguration: { LogDriver: string }; Environment: { Name: string; Value: unknown }[] };
    const containers = task!.Properties.ContainerDefinitions as Container[];
    expect(containers.map((c) => c.Name)).toEqual(['service', 'trace-collector']);
    const [service, collector] = containers as [Container, Container];
    const envOf = (c: Container) => Object.fromEntries(c.Environment.map(({ Name, Value }) => [Name, Value]));
    // The collector: AWS's public image, pinned; pulled by ECS at deployment, not downloaded by CDK.
    expect(collector.Image).toBe(TRACE_COLLECTOR_IMAGE);
    expect(collector.Image).toMatch(/^public\.ecr\.aws\/aws-observability\/aws-otel-collector:v\d+\.\d+\.\d+$/);
    // Traces are never worth a request: the collector is not essential (ECS restarts it), and its memory is bounded.
    expect(collector).toMatchObject({ Essential: false, Memory: 96, ReadonlyRootFilesystem: true, RestartPolicy: { Enabled: true } });
    expect(collector.LogConfiguration.LogDriver).toBe('awslogs');
    // Its pipeline: OTLP/HTTP on the task's loopback in, X-Ray out, nothing else (so X-Ray is the only grant it needs).
    const config = String(envOf(collector).AOT_CONFIG_CONTENT);
    expect(config).toMatch(/receivers:\s+otlp:\s+protocols:\s+http:\s+endpoint: 127\.0\.0\.1:4318/);
    expect(config).toMatch(/traces:\s+receivers: \[otlp\]\s+processors: \[batch\/traces\]\s+exporters: \[awsxray\]/);
    expect(config).not.toMatch(/metrics:|logs:|awsemf/);
    // The service sends there (lambdas/observability/trace-export.ts), once the collector has started.
    expect(envOf(service).STRATA_TRACE_ENDPOINT).toBe('http://127.0.0.1:4318');
    expect(service.DependsOn).toEqual([{ ContainerName: 'trace-collector', Condition: 'START' }]);
    // The task role may write X-Ray: the functions' shared policy (checked statement by statement in the IAM test).
    const roleId = (task!.Properties.TaskRoleArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const held = (resources[roleId]!.Properties.ManagedPolicyArns as { Ref: string }[]).map((arn) => arn.Ref);
    const statements = held.flatMap((id) => ((parent[id] ?? resources[id])!.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement);
    expect(statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('xray:')))).toEqual([
      expect.objectContaining({ Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' }),
    ]);
  });

  it('listens on HTTPS only, with a TLS 1.2+ policy, access logs, deletion protection and invalid headers dropped', () => {
    const listeners = ofType('AWS::ElasticLoadBalancingV2::Listener');
    expect(listeners.map((l) => [l.Properties.Port, l.Properties.Protocol])).toEqual([[443, 'HTTPS']]);
    expect(listeners[0]!.Properties.Certificates).toEqual([{ CertificateArn: DATA_PLANE_CONTEXT.dataPlaneCertificateArn }]);
    expect(listeners[0]!.Properties.SslPolicy).toMatch(/^ELBSecurityPolicy-TLS13-1-2/);
    const [alb] = ofType('AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(alb!.Properties.Scheme).toBe('internet-facing');
    expect(attributes(alb!, 'LoadBalancerAttributes')).toMatchObject({
      'access_logs.s3.enabled': 'true',
      'deletion_protection.enabled': 'true',
      'routing.http.drop_invalid_header_fields.enabled': 'true',
    });
    // Security groups: 443 in from the configured CIDRs to the ALB; the tasks only from the ALB.
    const groups = ofType('AWS::EC2::SecurityGroup');
    const albGroup = groups.find((g) => String(g.Properties.GroupDescription).startsWith('HTTPS from hospitals'))!;
    expect(albGroup.Properties.SecurityGroupIngress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })]);
    const taskIngress = ofType('AWS::EC2::SecurityGroupIngress');
    expect(taskIngress).toHaveLength(1);
    expect(taskIngress[0]!.Properties).toMatchObject({ FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: expect.anything() });
  });

  it('checks the tasks\' health on /health and scales them on CPU and requests per task', () => {
    const [group] = ofType('AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(group!.Properties).toMatchObject({ HealthCheckPath: '/health', TargetType: 'ip', Port: 8080 });
    // Requests in flight get 10 minutes to finish when a task is drained (a 1 GB STOW at 20 Mbit/s takes ~7).
    expect(attributes(group!, 'TargetGroupAttributes')['deregistration_delay.timeout_seconds']).toBe('600');
    const [target] = ofType('AWS::ApplicationAutoScaling::ScalableTarget');
    expect(target!.Properties).toMatchObject({ MinCapacity: 1, MaxCapacity: 4, ScalableDimension: 'ecs:service:DesiredCount' });
    const metrics = ofType('AWS::ApplicationAutoScaling::ScalingPolicy').map(
      (p) => (p.Properties.TargetTrackingScalingPolicyConfiguration as { PredefinedMetricSpecification: { PredefinedMetricType: string } }).PredefinedMetricSpecification.PredefinedMetricType,
    );
    expect(metrics.sort()).toEqual(['ALBRequestCountPerTarget', 'ECSServiceAverageCPUUtilization']);
  });

  it('tells API Gateway\'s 413 and its 5xx answers where large requests go, and passes the packs in both stacks', () => {
    const responses = Object.values(parent).filter((r) => r.Type === 'AWS::ApiGateway::GatewayResponse');
    const [tooLarge] = responses.filter((r) => r.Properties.ResponseType === 'REQUEST_TOO_LARGE');
    expect(tooLarge!.Properties.StatusCode).toBe('413');
    expect(JSON.stringify(tooLarge!.Properties.ResponseTemplates)).toContain('https://stow.hospital.example/dicom-web');
    // A body past Lambda's 6 MB payload but under API Gateway's 10 MB gets that 413, or now and then a 500: the 5xx
    // answers keep API Gateway's message and add where such a request goes (a valid JSON document once the message is in).
    const [default5xx] = responses.filter((r) => r.Properties.ResponseType === 'DEFAULT_5XX');
    const template = (default5xx!.Properties.ResponseTemplates as Record<string, string>)['application/json']!;
    expect(template).toContain('$context.error.messageString');
    const rendered = JSON.parse(template.replace('$context.error.messageString', JSON.stringify('Internal server error'))) as { message: string; largeRequests: string };
    expect(rendered.message).toBe('Internal server error');
    expect(rendered.largeRequests).toMatch(/more than about 4\.4 MB.*https:\/\/stow\.hospital\.example\/dicom-web$/);
    // Without a data plane there is nowhere to point: API Gateway's own 5xx body.
    const without = Object.values(synth(system).template.toJSON().Resources as Resources).filter((r) => r.Type === 'AWS::ApiGateway::GatewayResponse' && r.Properties.ResponseType === 'DEFAULT_5XX');
    expect(without[0]!.Properties.ResponseTemplates).toBeUndefined();
    for (const pack of nagPacks(built.app)) {
      for (const stack of [built.primary, built.primary.dataPlane!, built.primary.workflows]) expect(pack.validateScope(stack).violations.map((v) => `${stack.node.path} ${v.ruleName}`)).toEqual([]);
    }
  });

  it('is left out, with a warning that says what it needs, when no hostname or certificate is configured', () => {
    const without = synth(system);
    expect(without.primary.dataPlane).toBeUndefined();
    expect(stacksOf(without.app).map((stack) => stack.node.path).sort()).toEqual(['Strata', 'Strata/Workflows', 'StrataDr']);
    expect(Object.keys(without.template.toJSON().Resources as Resources).filter((id) => id.startsWith('DataPlane'))).toEqual([]);
    expect(Object.values(without.template.toJSON().Resources as Resources).filter((r) => r.Type.startsWith('AWS::ECS::'))).toEqual([]);
    const warnings = Annotations.fromStack(without.primary).findWarning('*', Match.stringLikeRegexp('data plane.*dataPlaneDomainName.*dataPlaneCertificateArn'));
    expect(warnings).toHaveLength(1);
  });
});

describe('The CDK app with WAF (-c waf=true)', () => {
  it('logs WAF requests to an aws-waf-logs-* group with query string, path and token redacted, and passes the packs', () => {
    // Another deployment's name (-c stackName): the log group carries it.
    const withWaf = synth(system, { waf: 'true', stackName: 'StrataStaging', ...DATA_PLANE_CONTEXT });
    const WAF_LOG_GROUP = wafLogGroupName(withWaf.primary.stackName);
    expect(WAF_LOG_GROUP).toBe('aws-waf-logs-StrataStaging-waf');
    const resources = withWaf.template.toJSON().Resources as Resources;
    withWaf.template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: WAF_LOG_GROUP, KmsKeyId: Match.anyValue(), RetentionInDays: Match.anyValue() });
    expect(WAF_LOG_GROUP).toMatch(/^aws-waf-logs-/);
    const [[, logging]] = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::WAFv2::LoggingConfiguration') as [[string, Resources[string]]];
    const acl = Object.entries(resources).find(([, r]) => r.Type === 'AWS::WAFv2::WebACL')![0];
    expect(logging.Properties.ResourceArn).toEqual({ 'Fn::GetAtt': [acl, 'Arn'] });
    const reader = new TemplateReader(resources, ACCOUNT, withWaf.primary.region);
    // The ARN names the group itself: WAF refuses the ':*' form that GetAtt Arn returns.
    expect((logging.Properties.LogDestinationConfigs as unknown[]).map((d) => reader.render(d))).toEqual([`arn:aws:logs:${withWaf.primary.region}:${ACCOUNT}:log-group:${WAF_LOG_GROUP}`]);
    expect(logging.Properties.RedactedFields).toEqual(expect.arrayContaining([{ QueryString: {} }, { UriPath: {} }, { SingleHeader: { Name: 'authorization' } }]));
    for (const pack of nagPacks(withWaf.app)) expect(pack.validateScope(withWaf.primary).violations.map((v) => v.ruleName)).toEqual([]);
    // One ACL in front of both: the API stage (primary stack) and the data plane's load balancer (its nested stack).
    const associations = (of: Resources) => Object.values(of).filter((r) => r.Type === 'AWS::WAFv2::WebACLAssociation').map((r) => r.Properties);
    const [stage] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::ApiGateway::Stage')!;
    expect(associations(resources)).toHaveLength(1);
    expect(associations(resources)[0]!.WebACLArn).toEqual({ 'Fn::GetAtt': [acl, 'Arn'] });
    expect(JSON.stringify(associations(resources)[0]!.ResourceArn)).toContain(`{"Ref":"${stage}"}`);
    const dataPlane = asParentSees(withWaf.primary.dataPlane!, resources);
    const [loadBalancer] = Object.entries(dataPlane).find(([, r]) => r.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer')!;
    expect(associations(dataPlane)).toEqual([{ WebACLArn: { 'Fn::GetAtt': [acl, 'Arn'] }, ResourceArn: { Ref: loadBalancer } }]);
  });
});

describe('One CORS policy from the allowedOrigins setting', () => {
  it('puts the configured origin in the preflights, the gateway\'s own errors and every function\'s environment', () => {
    const built = synth(system, { allowedOrigins: 'https://viewer.example' });
    const resources = built.template.toJSON().Resources as Resources;
    const of = (type: string) => Object.values(resources).filter((r) => r.Type === type);
    for (const fn of of('AWS::Lambda::Function').filter((f) => f.Properties.Runtime === 'nodejs22.x')) {
      expect((fn.Properties.Environment as { Variables: Record<string, string> }).Variables.STRATA_ALLOWED_ORIGINS).toBe('https://viewer.example');
    }
    for (const response of of('AWS::ApiGateway::GatewayResponse')) {
      expect(response.Properties.ResponseParameters).toMatchObject({ 'gatewayresponse.header.Access-Control-Allow-Origin': "'https://viewer.example'" });
    }
    for (const method of of('AWS::ApiGateway::Method').filter((m) => m.Properties.HttpMethod === 'OPTIONS')) {
      const [response] = (method.Properties.Integration as { IntegrationResponses: { ResponseParameters: Record<string, string> }[] }).IntegrationResponses;
      expect(response!.ResponseParameters['method.response.header.Access-Control-Allow-Origin']).toBe("'https://viewer.example'");
    }
  });

  it('names no origin in the gateway\'s static error responses when several are allowed (never widens to *)', () => {
    const built = synth(system, { allowedOrigins: 'https://viewer.example,https://pacs.example' });
    const responses = Object.values(built.template.toJSON().Resources as Resources).filter((r) => r.Type === 'AWS::ApiGateway::GatewayResponse');
    expect(responses.length).toBeGreaterThan(0);
    for (const response of responses) expect(response.Properties.ResponseParameters).not.toHaveProperty(['gatewayresponse.header.Access-Control-Allow-Origin']);
  });
});

describe('cdk-nag acknowledgments are scoped to the resource they are about', () => {
  /** The unacknowledged findings a failed synth reports, as "rule construct-path". */
  function findingsOf(run: () => unknown): string[] {
    try {
      run();
    } catch (error) {
      const report = (error as Error).message;
      return [...report.matchAll(/^\s+(\S+) \S+\n\s+Acknowledge with '[^':]+::([^']+)'/gm)].map(([, path, rule]) => `${rule} ${path}`).sort();
    }
    return [];
  }

  it('fails the synth for a route added without an authorizer', () => {
    const open = { method: 'GET' as const, path: '/dicom-web/open', function: 'searchForStudies' };
    expect(findingsOf(() => synth({ ...system, routes: [...system.routes, open] }))).toEqual([
      'AwsSolutions-APIG4 Strata/DicomWeb/Api/Default/dicom-web/open/GET/Resource',
      'AwsSolutions-COG4 Strata/DicomWeb/Api/Default/dicom-web/open/GET/Resource',
    ]);
  });

  it('fails the synth when the archive bucket is moved to SSE-S3', () => {
    const toSseS3 = ({ primary }: ReturnType<typeof buildApp>) => {
      const archive = primary.node.findAll().find((c) => c.node.path === 'Strata/Bucket-archive/Bucket/Resource') as CfnBucket;
      archive.bucketEncryption = { serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] };
    };
    expect(findingsOf(() => synth(system, {}, toSseS3))).toEqual(['HIPAA.Security-S3DefaultEncryptionKMS Strata/Bucket-archive/Bucket/Resource']);
  });

  it('fails the synth for a new wildcard in a function\'s policy', () => {
    const widen = ({ primary }: ReturnType<typeof buildApp>) => primary.functions.health!.policy.addStatements(new PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    expect(findingsOf(() => synth(system, {}, widen))).toEqual(['AwsSolutions-IAM5[Resource::*] Strata/Fn-health/Policy/Resource']);
  });

  it('inspects the data plane\'s nested stack: a new wildcard in its task policy fails the synth, the acknowledged ones are each one resource\'s', () => {
    const widen = ({ primary }: ReturnType<typeof buildApp>) => {
      const { taskPolicy } = primary.dataPlane!.service;
      taskPolicy.addStatements(new PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
      // The objects of another bucket of the primary stack: a parameter too, but not one the acknowledgment names.
      const accessLogs = primary.node.findChild('AccessLogs') as unknown as { arnForObjects(pattern: string): string };
      taskPolicy.addStatements(new PolicyStatement({ actions: ['s3:GetObject'], resources: [accessLogs.arnForObjects('*')] }));
    };
    expect(findingsOf(() => synth(system, DATA_PLANE_CONTEXT, widen))).toEqual([
      'AwsSolutions-IAM5[Resource::*] Strata/DataPlane/Service/TaskPolicy/Resource',
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<referencetoStrataAccessLogs\w+Arn>\/\*\] Strata\/DataPlane\/Service\/TaskPolicy\/Resource$/),
    ]);
  });

  it('inspects the workflows\' nested stack: a new wildcard in a state machine\'s role fails the synth, the acknowledged ones are each one task function\'s', () => {
    const widen = ({ primary }: ReturnType<typeof buildApp>) => {
      const machine = primary.workflows.workflows.stateMachines.fixityAudit!;
      machine.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::*'] }));
      // Every version of a function of the primary stack that is not this workflow's task: a parameter too, but not acknowledged here.
      machine.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [`${primary.functions.health!.function.functionArn}:*`] }));
    };
    expect(findingsOf(() => synth(system, {}, widen))).toEqual([
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<referencetoStrataFnhealth\w+Arn>:\*\] Strata\/Workflows\/Machines\/fixityAudit\/Role\/DefaultPolicy\/Resource$/),
      'AwsSolutions-IAM5[Resource::arn:aws:s3:::*] Strata/Workflows/Machines/fixityAudit/Role/DefaultPolicy/Resource',
    ]);
  });

  it('synthesizes clean as declared (the findings above are new, not pre-existing)', () => {
    expect(findingsOf(() => synth())).toEqual([]);
  });
});

describe('CloudFormation validation of the templates (aws-cdk-lib\'s built-in validator, offline)', () => {
  it('fails the synth on a template CloudFormation would reject', () => {
    // A Lambda timeout above the resource schema's maximum (900 s): CloudFormation would fail the deployment.
    const tooLong = ({ primary }: ReturnType<typeof buildApp>) => (primary.functions.health!.function.node.defaultChild as CfnResource).addPropertyOverride('Timeout', 3600);
    expect(() => synth(system, {}, tooLong)).toThrow(/exceeds maximum 900/);
  });
});
