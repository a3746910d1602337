/**
 * The grant expansion (infra/constructs/grants.ts) on small declarations, with every statement
 * written out: which resource each action lands on (object vs bucket level, table vs its
 * indexes, a state machine vs its executions) and which KMS actions the encryption needs.
 * The stack test compares the real functions' policies; this one pins the rules, fast.
 */
import { describe, expect, it } from 'vitest';
import { grantStatements, TRACING_ACTIONS, type ResourceArns } from '#infra/constructs/grants.ts';
import type { GrantDeclaration } from '#infra/system-types.ts';

const arns: ResourceArns = {
  table: (logical) => ({ arn: `arn:table/${logical}`, indexArn: `arn:table/${logical}/index/*` }),
  bucket: (logical) => ({ arn: `arn:s3:::${logical}` }),
  stateMachine: (logical) => ({ arn: `arn:states:stateMachine:${logical}`, executionsArn: `arn:states:execution:${logical}:*` }),
  eventBus: (name) => ({ arn: `arn:events:event-bus/${name}` }),
  keyArn: 'arn:kms:key',
};
const expand = (...grants: GrantDeclaration[]) => grantStatements(grants, arns);

describe('grantStatements', () => {
  it('puts a table read on the table only, and a Query on its indexes too; reads need kms:Decrypt', () => {
    expect(expand({ resource: 'table:index', actions: ['dynamodb:GetItem'] })).toEqual([
      { actions: ['dynamodb:GetItem'], resources: ['arn:table/index'] },
      { actions: ['kms:Decrypt'], resources: ['arn:kms:key'] },
    ]);
    expect(expand({ resource: 'table:index', actions: ['dynamodb:Query', 'dynamodb:BatchGetItem'] })).toEqual([
      { actions: ['dynamodb:Query', 'dynamodb:BatchGetItem'], resources: ['arn:table/index', 'arn:table/index/index/*'] },
      { actions: ['kms:Decrypt'], resources: ['arn:kms:key'] },
    ]);
  });

  it('adds kms:Encrypt and kms:GenerateDataKey for any table write (Put, Update, Delete, BatchWrite)', () => {
    for (const write of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) {
      expect(expand({ resource: 'table:index', actions: [write] }), write).toEqual([
        { actions: [write], resources: ['arn:table/index'] },
        { actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], resources: ['arn:kms:key'] },
      ]);
    }
    // One write among reads is enough.
    expect(expand({ resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:PutItem'] })[1]).toEqual({ actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], resources: ['arn:kms:key'] });
  });

  it('splits bucket grants: object actions on bucket/*, ListBucket and GetBucketLocation on the bucket', () => {
    expect(expand({ resource: 'bucket:archive', actions: ['s3:GetObject', 's3:ListBucket', 's3:GetBucketLocation'] })).toEqual([
      { actions: ['s3:GetObject'], resources: ['arn:s3:::archive/*'] },
      { actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: ['arn:s3:::archive'] },
      { actions: ['kms:Decrypt'], resources: ['arn:kms:key'] },
    ]);
    // Listing alone reads no encrypted bytes: no KMS statement at all.
    expect(expand({ resource: 'bucket:archive', actions: ['s3:ListBucket'] })).toEqual([{ actions: ['s3:ListBucket'], resources: ['arn:s3:::archive'] }]);
    // Object Lock look-ups and deletes read no bytes either.
    expect(expand({ resource: 'bucket:archive', actions: ['s3:DeleteObject', 's3:GetObjectLegalHold'] })).toEqual([
      { actions: ['s3:DeleteObject', 's3:GetObjectLegalHold'], resources: ['arn:s3:::archive/*'] },
    ]);
  });

  it('gives PutObject kms:GenerateDataKey and kms:Decrypt (multipart), and no kms:Encrypt', () => {
    expect(expand({ resource: 'bucket:archive', actions: ['s3:PutObject'] })).toEqual([
      { actions: ['s3:PutObject'], resources: ['arn:s3:::archive/*'] },
      { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: ['arn:kms:key'] },
    ]);
  });

  it('grants StartExecution on the state machine and DescribeExecution on its executions, with no KMS', () => {
    expect(
      expand({ resource: 'stateMachine:audit', actions: ['states:StartExecution'] }, { resource: 'execution:audit', actions: ['states:DescribeExecution'] }),
    ).toEqual([
      { actions: ['states:StartExecution'], resources: ['arn:states:stateMachine:audit'] },
      { actions: ['states:DescribeExecution'], resources: ['arn:states:execution:audit:*'] },
    ]);
  });

  it('grants PutEvents on the one event bus named, with no KMS', () => {
    expect(expand({ resource: 'eventBus:default', actions: ['events:PutEvents'] })).toEqual([{ actions: ['events:PutEvents'], resources: ['arn:events:event-bus/default'] }]);
  });

  it('merges the KMS needs of all grants into one sorted statement, last', () => {
    expect(expand({ resource: 'bucket:archive', actions: ['s3:GetObject'] }, { resource: 'table:index', actions: ['dynamodb:UpdateItem'] })).toEqual([
      { actions: ['s3:GetObject'], resources: ['arn:s3:::archive/*'] },
      { actions: ['dynamodb:UpdateItem'], resources: ['arn:table/index'] },
      { actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], resources: ['arn:kms:key'] },
    ]);
    expect(expand()).toEqual([]);
  });

  it('limits a table grant to the items whose partition key matches its leadingKeys, in a statement of its own', () => {
    expect(
      expand(
        { resource: 'table:index', actions: ['dynamodb:Query'] },
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], leadingKeys: ['T#*#REF#ref:??', 'T#*#REFS'] },
      ),
    ).toEqual([
      { actions: ['dynamodb:Query'], resources: ['arn:table/index', 'arn:table/index/index/*'] },
      {
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: ['arn:table/index'],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['T#*#REF#ref:??', 'T#*#REFS'] } },
      },
      { actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], resources: ['arn:kms:key'] },
    ]);
  });

  it('refuses leadingKeys on an action whose request may name no partition key, on a non-table grant, or with no pattern', () => {
    // ForAllValues over an absent key is true in IAM: a limited Scan or Query would reach every item.
    expect(() => expand({ resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:Scan'], leadingKeys: ['T#*'] })).toThrow(/cannot limit dynamodb:Scan/);
    expect(() => expand({ resource: 'table:index', actions: ['dynamodb:Query'], leadingKeys: ['T#*'] })).toThrow(/cannot limit dynamodb:Query/);
    expect(() => expand({ resource: 'bucket:archive', actions: ['s3:GetObject'], leadingKeys: ['T#*'] })).toThrow(/table grants only/);
    expect(() => expand({ resource: 'table:index', actions: ['dynamodb:GetItem'], leadingKeys: [] })).toThrow(/no pattern/);
  });

  it('gives every role X-Ray\'s two write actions through the shared tracing policy', () => {
    expect([...TRACING_ACTIONS].sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });
});
