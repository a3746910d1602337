/**
 * The local IAM guards in front of a stand-in emulator: the policy comes from grants exactly as
 * the CDK stack derives it, the caller from the access key id in the SigV4 Authorization header.
 */
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { localIam } from '#infra/local/iam/local-iam.ts';
import { dynamoRequests } from '#infra/local/iam/json-api-requests.ts';
import { accessKeyIdOf } from '#infra/local/iam/principals.ts';
import { system } from '#infra/system.ts';
import type { FunctionDeclaration } from '#infra/system-types.ts';

const names = { table: (l: string) => `strata-${l}`, bucket: (l: string) => `strata-${l}`, stateMachineArn: (l: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:strata-${l}`, signingKeyArn: (l: string) => `arn:aws:kms:us-east-1:000000000000:key/${l}` };
const where = { region: 'us-east-1', account: '000000000000' };
const fn = (grants: FunctionDeclaration['grants']): FunctionDeclaration => ({ entry: 'x.ts', description: 'test', grants });

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** A stand-in S3 that answers 404 NoSuchKey for `missing`, else 200, behind the S3 guard. */
async function guardedS3(functions: Record<string, FunctionDeclaration>): Promise<string> {
  const iam = localIam(functions, names, where, system.tables);
  server = createServer(
    iam.s3((req, res) => {
      if (req.url!.includes('missing')) res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
      else res.writeHead(200).end('bytes');
    }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function call(base: string, method: string, path: string, keyId: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const authorization = `AWS4-HMAC-SHA256 Credential=${keyId}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0`;
    const outgoing = request(`${base}${path}`, { method, headers: { authorization } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    outgoing.on('error', reject).end();
  });
}

describe('Local IAM policies from the declaration', () => {
  const { policies } = localIam(system.functions, names, where, system.tables);
  const table = 'arn:aws:dynamodb:us-east-1:000000000000:table/strata-index';

  it('grants each function exactly its declared actions on its declared resources', () => {
    expect(policies.allows('searchForStudies', { action: 'dynamodb:Query', resource: `${table}/index/gsi1` })).toBe(true);
    expect(policies.allows('searchForStudies', { action: 'dynamodb:PutItem', resource: table })).toBe(false);
    expect(policies.allows('retrieve', { action: 's3:GetObject', resource: 'arn:aws:s3:::strata-archive/default/studies/1/x.dcm' })).toBe(true);
    expect(policies.allows('retrieve', { action: 's3:GetObject', resource: 'arn:aws:s3:::another-bucket/x.dcm' })).toBe(false);
    expect(policies.allows('retrieve', { action: 's3:DeleteObject', resource: 'arn:aws:s3:::strata-archive/x.dcm' })).toBe(false);
    // A bucket-level action is granted on the bucket, not on its objects.
    expect(policies.allows('retrieve', { action: 's3:ListBucket', resource: 'arn:aws:s3:::strata-archive' })).toBe(true);
    expect(policies.allows('nobody', { action: 's3:GetObject', resource: 'arn:aws:s3:::strata-archive/x' })).toBe(false);
  });
});

describe('Local IAM on grants limited to some items (dynamodb:LeadingKeys)', () => {
  const { policies } = localIam(system.functions, names, where, system.tables);
  const table = 'arn:aws:dynamodb:us-east-1:000000000000:table/strata-index';
  const reference = `T#default#REF#ref:${'A'.repeat(32)}`;
  const leading = (...keys: string[]) => ({ 'dynamodb:LeadingKeys': keys });

  it('lets a function that only carries workflow references reach reference and salt items, and no other item', () => {
    // reclassifyTally's one table grant is the references grant.
    for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem']) {
      expect(policies.allows('reclassifyTally', { action, resource: table, context: leading(reference) }), action).toBe(true);
      expect(policies.allows('reclassifyTally', { action, resource: table, context: leading('T#default#REFS') }), action).toBe(true);
      expect(policies.allows('reclassifyTally', { action, resource: table, context: leading('T#default#S#1.2.3') }), action).toBe(false);
    }
    // One item outside the patterns is enough to refuse (ForAllValues); a reference of another length is not one.
    expect(policies.allows('reclassifyTally', { action: 'dynamodb:GetItem', resource: table, context: leading(reference, 'T#default#HOLDS') })).toBe(false);
    expect(policies.allows('reclassifyTally', { action: 'dynamodb:GetItem', resource: table, context: leading(`${reference}X`) })).toBe(false);
    expect(policies.allows('reclassifyTally', { action: 'dynamodb:UpdateItem', resource: table, context: leading(reference) })).toBe(false);
    // A function with its own unlimited GetItem keeps it: the limited statement only adds.
    expect(policies.allows('selectPriors', { action: 'dynamodb:GetItem', resource: table, context: leading('T#default#S#1.2.3') })).toBe(true);
    expect(policies.allows('selectPriors', { action: 'dynamodb:PutItem', resource: table, context: leading('T#default#S#1.2.3') })).toBe(false);
    expect(policies.allows('selectPriors', { action: 'dynamodb:PutItem', resource: table, context: leading(reference) })).toBe(true);
  });

  it('reads the partition keys of each request kind from its body, by the declared partition key', () => {
    const arn = (name: string) => `arn:${name}`;
    const pk = (name: string) => (name === 'strata-index' ? 'pk' : undefined);
    const key = (value: string) => ({ pk: { S: value }, sk: { S: 'X' } });
    const contextOf = (operation: string, body: Record<string, unknown>) => dynamoRequests(operation, body, arn, pk).map((request) => request.context);
    expect(contextOf('GetItem', { TableName: 'strata-index', Key: key('a') })).toEqual([leading('a')]);
    expect(contextOf('PutItem', { TableName: 'strata-index', Item: { ...key('b'), value: { S: 'v' } } })).toEqual([leading('b')]);
    expect(contextOf('UpdateItem', { TableName: 'strata-index', Key: key('c') })).toEqual([leading('c')]);
    expect(contextOf('BatchGetItem', { RequestItems: { 'strata-index': { Keys: [key('d'), key('e'), key('d')] } } })).toEqual([leading('d', 'e')]);
    expect(contextOf('BatchWriteItem', { RequestItems: { 'strata-index': [{ PutRequest: { Item: key('f') } }, { DeleteRequest: { Key: key('g') } }] } })).toEqual([leading('f', 'g')]);
    expect(contextOf('TransactWriteItems', { TransactItems: [{ Put: { TableName: 'strata-index', Item: key('h') } }, { ConditionCheck: { TableName: 'strata-index', Key: key('i') } }] })).toEqual([
      leading('h'),
      leading('i'),
    ]);
    // A table whose partition key is unknown (not declared) carries no condition key.
    expect(contextOf('GetItem', { TableName: 'other', Key: key('a') })).toEqual([undefined]);
  });
});

describe('The S3 guard', () => {
  it('answers a missing key with 404 NoSuchKey to a caller with s3:ListBucket, and 403 AccessDenied without it', async () => {
    const base = await guardedS3({
      lister: fn([{ resource: 'bucket:archive', actions: ['s3:GetObject', 's3:ListBucket'] }]),
      reader: fn([{ resource: 'bucket:archive', actions: ['s3:GetObject'] }]),
    });
    expect(await call(base, 'GET', '/strata-archive/missing.dcm', accessKeyIdOf('lister'))).toMatchObject({ status: 404, body: expect.stringContaining('NoSuchKey') });
    expect(await call(base, 'GET', '/strata-archive/missing.dcm', accessKeyIdOf('reader'))).toMatchObject({ status: 403, body: expect.stringContaining('<Code>AccessDenied</Code>') });
    expect((await call(base, 'HEAD', '/strata-archive/missing.dcm', accessKeyIdOf('reader'))).status).toBe(403);
    // An existing object reads the same either way; the unrestricted key sees the truth.
    expect(await call(base, 'GET', '/strata-archive/present.dcm', accessKeyIdOf('reader'))).toEqual({ status: 200, body: 'bytes' });
    expect((await call(base, 'GET', '/strata-archive/missing.dcm', 'S3RVER')).status).toBe(404);
  });

  it('refuses each action outside the grants: delete, Object Lock, listing, another bucket, an unknown function', async () => {
    const base = await guardedS3({ reader: fn([{ resource: 'bucket:archive', actions: ['s3:GetObject'] }]) });
    for (const [method, path] of [
      ['DELETE', '/strata-archive/present.dcm'],
      ['PUT', '/strata-archive/present.dcm?legal-hold'],
      ['GET', '/strata-archive/present.dcm?retention'],
      ['GET', '/strata-archive?list-type=2'],
      ['GET', '/other-bucket/present.dcm'],
    ] as const) {
      expect((await call(base, method, path, accessKeyIdOf('reader'))).status, `${method} ${path}`).toBe(403);
    }
    expect((await call(base, 'GET', '/strata-archive/present.dcm', accessKeyIdOf('undeclared'))).status).toBe(403);
  });
});
