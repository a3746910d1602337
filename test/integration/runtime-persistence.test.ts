import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceObjectKey, Keys } from '#core/index-keys.ts';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { CT_SMALL, fixture, multipartBodies, sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

describe('Local runtime: a stored instance survives a restart', () => {
  let runtime: TestRuntime;
  const id = { tenant: 'default', study: CT_SMALL.study, series: CT_SMALL.series, sop: CT_SMALL.sop };

  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('answers /health with the versions of the running components', async () => {
    const response = await fetch(`${runtime.url}/health`);
    const health = (await response.json()) as { status: string; versions: Record<string, string> };
    expect(response.status).toBe(200);
    expect(health.status).toBe('ok');
    expect(health.versions.runtime).toMatch(/dynalite \d+\.\d+\.\d+, s3rver \d+\.\d+\.\d+, aws-local-stepfunctions \d+\.\d+\.\d+/);
    expect(health.versions.node).toMatch(/^v\d+/);
  });

  it('stores a DICOM object through the STOW route into S3 and DynamoDB with the real SDK', async () => {
    const bytes = fixture(CT_SMALL.file);
    const { status } = await stow(runtime.url, [bytes]);
    expect(status).toBe(200);

    const object = await s3For(runtime).send(new GetObjectCommand({ Bucket: runtime.names.bucket('archive'), Key: instanceObjectKey(id, sha256(fixture(CT_SMALL.file))) }));
    const stored = Buffer.from(await object.Body!.transformToByteArray());
    expect(sha256(stored)).toBe(sha256(bytes));
    expect(object.Metadata?.['strata-sha256']).toBe(sha256(bytes));
    expect(object.Metadata?.['strata-tenant']).toBe('default');

    const item = await dynamoFor(runtime).send(
      new GetItemCommand({ TableName: runtime.names.table('index'), Key: { pk: { S: Keys.instance(id).pk }, sk: { S: Keys.instance(id).sk } } }),
    );
    expect(item.Item?.sha256?.S).toBe(sha256(bytes));
  });

  it('finds the same bytes again after a restart', async () => {
    runtime = await runtime.restart();
    const response = await fetch(`${runtime.url}/dicom-web/studies/${CT_SMALL.study}`, {
      headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    expect(response.status).toBe(200);
    const parts = multipartBodies(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!);
    expect(parts).toHaveLength(1);
    expect(sha256(parts[0]!.body)).toBe(sha256(fixture(CT_SMALL.file)));
  });
});
