/**
 * Local IAM: each function's SDK calls are checked against its declared grants (the policies
 * the CDK stack attaches), so a missing or excess grant shows up here, not in production.
 * `runAsFunction` is what the local Lambda host wraps every invocation in; the SDK clients
 * below are ordinary ones with the process's key (unrestricted outside an invocation).
 */
import { GetObjectCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsFunction } from '#infra/local/iam/function-identity.ts';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { CT_SMALL, fixture, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

describe('Local IAM enforces each function\'s declared grants', () => {
  let runtime: TestRuntime;
  let key: string;
  beforeAll(async () => {
    runtime = await startTestRuntime();
    expect((await stow(runtime.url, [fixture(CT_SMALL.file)])).status).toBe(200);
    const listed = await s3For(runtime).send(new ListObjectsV2Command({ Bucket: runtime.names.bucket('archive') }));
    key = listed.Contents!.find((object) => object.Key!.includes(CT_SMALL.sop) && object.Key!.endsWith('.dcm'))!.Key!;
  });
  afterAll(() => runtime?.dispose());

  const read = () => new GetObjectCommand({ Bucket: runtime.names.bucket('archive'), Key: key });

  it('lets a function read what it was granted, and refuses S3 actions it was not with 403 AccessDenied', async () => {
    const s3 = s3For(runtime);
    const granted = await runAsFunction('retrieve', () => s3.send(read()));
    expect(granted.$metadata.httpStatusCode).toBe(200);
    // The QIDO function holds no S3 grant at all; retrieve may read but not delete.
    const refused = await runAsFunction('searchForStudies', () => s3.send(read())).catch((error: unknown) => error);
    expect(refused).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(String((refused as Error).message)).toContain('s3:GetObject');
    const deleting = await runAsFunction('retrieve', () => s3.send(new DeleteObjectCommand({ Bucket: runtime.names.bucket('archive'), Key: key }))).catch((error: unknown) => error);
    expect(deleting).toMatchObject({ name: 'AccessDenied' });
    // Outside any invocation (tests, scripts) the process's key is unrestricted, and nothing was deleted.
    expect((await s3.send(read())).$metadata.httpStatusCode).toBe(200);
  });

  it('refuses DynamoDB actions outside the grants with AccessDeniedException, naming the action', async () => {
    const dynamo = dynamoFor(runtime);
    const table = runtime.names.table('index');
    const query = new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'nothing' } } });
    expect((await runAsFunction('searchForStudies', () => dynamo.send(query))).$metadata.httpStatusCode).toBe(200);
    const put = new PutItemCommand({ TableName: table, Item: { pk: { S: 'iam-test' }, sk: { S: 'x' } } });
    const refused = await runAsFunction('searchForStudies', () => dynamo.send(put)).catch((error: unknown) => error);
    expect(refused).toMatchObject({ name: 'AccessDeniedException' });
    expect(String((refused as Error).message)).toContain('dynamodb:PutItem');
    // A GSI query needs the grant on the index too; recordFixityResult may only PutItem.
    const gsi = new QueryCommand({ TableName: table, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'nothing' } } });
    await expect(runAsFunction('recordFixityResult', () => dynamo.send(gsi))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('keeps the workflow-reference grant to reference and salt items: any other key is AccessDeniedException (dynamodb:LeadingKeys)', async () => {
    const dynamo = dynamoFor(runtime);
    const table = runtime.names.table('index');
    const reference = { pk: { S: `T#default#REF#ref:${'A'.repeat(32)}` }, sk: { S: 'REF' } };
    const study = { pk: { S: `T#default#S#${CT_SMALL.study}` }, sk: { S: 'STUDY' } };
    // reclassifyTally has no table grant but the references': it records and reads a reference, and the salt.
    await runAsFunction('reclassifyTally', () => dynamo.send(new PutItemCommand({ TableName: table, Item: { ...reference, value: { S: 'iam-test' } } })));
    const read = await runAsFunction('reclassifyTally', () => dynamo.send(new GetItemCommand({ TableName: table, Key: reference })));
    expect(read.Item?.value).toEqual({ S: 'iam-test' });
    await runAsFunction('reclassifyTally', () => dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'T#default#REFS' }, sk: { S: 'SALT' } } })));
    // The study item, read or overwritten by the same function: refused, and the study is intact.
    const planted = await runAsFunction('reclassifyTally', () => dynamo.send(new GetItemCommand({ TableName: table, Key: study }))).catch((error: unknown) => error);
    expect(planted).toMatchObject({ name: 'AccessDeniedException' });
    expect(String((planted as Error).message)).toContain('dynamodb:GetItem');
    await expect(runAsFunction('reclassifyTally', () => dynamo.send(new PutItemCommand({ TableName: table, Item: study })))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    // listStudySeries only queries: its PutItem reaches references, not the study.
    await expect(runAsFunction('listStudySeries', () => dynamo.send(new PutItemCommand({ TableName: table, Item: study })))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect((await dynamo.send(new GetItemCommand({ TableName: table, Key: study }))).Item?.sk).toEqual({ S: 'STUDY' });
  });

  it('refuses starting a state machine the function was not granted', async () => {
    const sfn = new SFNClient({ endpoint: runtime.stepFunctions.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const start = new StartExecutionCommand({ stateMachineArn: runtime.stepFunctions.arnOf('indexMaintenance'), input: '{}' });
    await expect(runAsFunction('startFixityAudit', () => sfn.send(start))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('answers WADO of an instance whose bytes are gone with 404 (retrieve holds s3:ListBucket)', async () => {
    await s3For(runtime).send(new DeleteObjectCommand({ Bucket: runtime.names.bucket('archive'), Key: key }));
    const response = await fetch(`${runtime.url}/dicom-web/studies/${CT_SMALL.study}/series/${CT_SMALL.series}/instances/${CT_SMALL.sop}`, {
      headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    expect(response.status).toBe(404);
  });
});
