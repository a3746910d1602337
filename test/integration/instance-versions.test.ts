/**
 * Versions of one SOP Instance (docs/decisions/0002-instance-versions.md): each earlier version
 * is its own index item, so history never grows the instance item towards DynamoDB's 400 KB
 * limit; every STOW response says exactly what happened, even when part of a request fails.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '#core/index-keys.ts';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { multipartBodies, sha256, stow } from '#test/helpers/dicom.ts';
import { synthesize } from '#test/helpers/synthetic.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';

type Dataset = Record<string, { Value?: unknown[] }>;

describe('Instance versions', () => {
  let runtime: TestRuntime;
  const id = { tenant: 'default', study: '2.25.81001', series: '2.25.81001.1', sop: '2.25.81001.1.1' };
  const version = (n: number) => synthesize('CT_small.dcm', { ...id, instanceNumber: n });

  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  const instanceItem = async () =>
    (await dynamoFor(runtime).send(new GetItemCommand({ TableName: runtime.names.table('index'), Key: { pk: { S: Keys.instance(id).pk }, sk: { S: Keys.instance(id).sk } } }))).Item;
  const versionItems = async () =>
    (
      await dynamoFor(runtime).send(
        new QueryCommand({
          TableName: runtime.names.table('index'),
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': { S: Keys.instance(id).pk }, ':prefix': { S: Keys.versionsOfInstancePrefix(id) } },
        }),
      )
    ).Items ?? [];
  const wadoSha = async () => {
    const response = await fetch(`${runtime.url}/dicom-web/studies/${id.study}/series/${id.series}/instances/${id.sop}`, {
      headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    return sha256(multipartBodies(Buffer.from(await response.arrayBuffer()), response.headers.get('content-type')!)[0]!.body);
  };
  const warningOf = (json: Dataset) => ((json['00081199']?.Value ?? []) as Dataset[]).map((d) => d['00081196']?.Value?.[0]);

  it('keeps each earlier version as its own item: the instance item does not grow', async () => {
    expect((await stow(runtime.url, [version(1)])).status).toBe(200);
    const sizeAfterOne = JSON.stringify(await instanceItem()).length;
    for (let n = 2; n <= 12; n++) {
      const { status, json, headers } = await stow(runtime.url, [version(n)]);
      expect(status).toBe(202);
      expect(warningOf(json)).toEqual([0xb00e]);
      expect(headers.get('warning')).toContain('previous version is kept');
    }
    expect(Math.abs(JSON.stringify(await instanceItem()).length - sizeAfterOne)).toBeLessThan(16);
    const versions = await versionItems();
    expect(versions).toHaveLength(11);
    expect(new Set(versions.map((v) => v.sha256!.S))).toEqual(new Set(Array.from({ length: 11 }, (_, i) => sha256(version(i + 1)))));
    expect(await wadoSha()).toBe(sha256(version(12)));
    // Counts count instances, not versions.
    const [study] = (await (await fetch(`${runtime.url}/dicom-web/studies?StudyInstanceUID=${id.study}`, { headers: { Accept: 'application/dicom+json' } })).json()) as Dataset[];
    expect(study!['00201208']?.Value).toEqual([1]);
  });

  it('makes an earlier version current again when its bytes are pushed again, without keeping it twice', async () => {
    const { status, json } = await stow(runtime.url, [version(3)]);
    expect(status).toBe(202);
    expect(warningOf(json)).toEqual([0xb00e]);
    expect(await wadoSha()).toBe(sha256(version(3)));
    const versions = (await versionItems()).map((v) => v.sha256!.S);
    expect(versions).toHaveLength(11);
    expect(versions).not.toContain(sha256(version(3)));
    expect(versions).toContain(sha256(version(12)));
    expect((await stow(runtime.url, [version(3)])).status).toBe(200);
  });

  it('answers exactly for each part when the index refuses one part of a request', async () => {
    // The second part's series item would exceed DynamoDB's 400 KB item limit.
    const huge = synthesize('CT_small.dcm', { ...id, series: '2.25.81001.2', sop: '2.25.81001.2.1', extra: { '0008103E': ['LO', 'X'.repeat(420_000)] } });
    const { status, json } = await stow(runtime.url, [version(13), huge]);
    expect(status).toBe(202);
    expect(warningOf(json)).toEqual([0xb00e]);
    const failed = (json['00081198']?.Value ?? []) as Dataset[];
    expect(failed.map((f) => f['00081155']?.Value?.[0])).toEqual(['2.25.81001.2.1']);
    expect(await wadoSha()).toBe(sha256(version(13)));
  });

  it('deletes every version with its instance: objects and items', async () => {
    const response = await fetch(`${runtime.url}/dicom-web/studies/${id.study}/series/${id.series}/instances/${id.sop}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    const listed = await s3For(runtime).send(
      new ListObjectsV2Command({ Bucket: runtime.names.bucket('archive'), Prefix: `default/studies/${id.study}/series/${id.series}/` }),
    );
    expect(listed.KeyCount ?? 0).toBe(0);
    expect(await versionItems()).toHaveLength(0);
    expect(await instanceItem()).toBeUndefined();
  });
});
