/**
 * S3 replication into the DR copy in the local S3 (infra/local/s3/replication.ts), driven
 * through the AWS SDK v3 client: asynchronous on the local clock, version ids, bytes,
 * metadata, tags, checksums, legal holds and retention replicated, lock changes replicated,
 * delete markers and version deletes not, pending replication kept across a restart.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3For } from '#test/helpers/aws.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { system } from '#infra/system.ts';

const LAG_SECONDS = 300;

describe('S3 replication into the DR copy (local S3)', () => {
  let runtime: TestRuntime;
  let s3: S3Client;
  let Bucket: string;
  let Replica: string;

  beforeAll(async () => {
    runtime = await startTestRuntime({ replicationLagSeconds: LAG_SECONDS });
    s3 = s3For(runtime);
    Bucket = runtime.names.bucket(system.replication.source);
    Replica = runtime.names.bucket(system.replication.replica);
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  const missing = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return false;
    } catch (error) {
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return true;
      throw error;
    }
  };
  /** Moves the local clock past the lag and lets the replicator run, as the ticker would. */
  const afterLag = async () => {
    runtime.clock.advance((LAG_SECONDS + 1) * 1000);
    return runtime.s3.replicate();
  };

  it('replicates a new version only after the lag, with its id, bytes, metadata, tags, checksum and locks', async () => {
    const retainUntil = new Date(runtime.clock.now().getTime() + 86_400_000 * 365);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket,
        Key: 'dr/one',
        Body: 'first bytes',
        ContentType: 'application/dicom',
        Metadata: { tenant: 't1' },
        Tagging: 'tier=hot',
        ChecksumAlgorithm: 'SHA256',
        ObjectLockLegalHoldStatus: 'ON',
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: retainUntil,
      }),
    );
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'dr/one' }))).ReplicationStatus).toBe('PENDING');
    // Before the lag has passed nothing is copied, however often the replicator runs.
    expect(await runtime.s3.replicate()).toEqual({ replicated: 0, waiting: 1 });
    expect(await missing(s3.send(new HeadObjectCommand({ Bucket: Replica, Key: 'dr/one' })))).toBe(true);

    expect(await afterLag()).toEqual({ replicated: 1, waiting: 0 });
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'dr/one' }))).ReplicationStatus).toBe('COMPLETED');
    const replica = await s3.send(new HeadObjectCommand({ Bucket: Replica, Key: 'dr/one', ChecksumMode: 'ENABLED' }));
    expect(replica).toMatchObject({
      ReplicationStatus: 'REPLICA',
      VersionId: put.VersionId,
      ChecksumSHA256: put.ChecksumSHA256,
      ContentType: 'application/dicom',
      Metadata: { tenant: 't1' },
      ObjectLockLegalHoldStatus: 'ON',
      ObjectLockMode: 'GOVERNANCE',
    });
    expect(replica.ObjectLockRetainUntilDate?.toISOString()).toBe(retainUntil.toISOString());
    expect(await (await s3.send(new GetObjectCommand({ Bucket: Replica, Key: 'dr/one' }))).Body!.transformToString()).toBe('first bytes');
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: Replica, Key: 'dr/one' }))).TagSet).toEqual([{ Key: 'tier', Value: 'hot' }]);
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: Replica, Key: 'dr/one' }))).Retention?.Mode).toBe('GOVERNANCE');
  });

  it('replicates every version in order, and a later legal-hold change after its own lag', async () => {
    const first = await s3.send(new PutObjectCommand({ Bucket, Key: 'dr/two', Body: 'v1' }));
    const second = await s3.send(new PutObjectCommand({ Bucket, Key: 'dr/two', Body: 'v2' }));
    await afterLag();
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: Replica, Prefix: 'dr/two' }));
    expect(versions.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([
      [second.VersionId, true],
      [first.VersionId, false],
    ]);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: Replica, Key: 'dr/two', VersionId: first.VersionId }))).Body!.transformToString()).toBe('v1');

    await s3.send(new PutObjectLegalHoldCommand({ Bucket, Key: 'dr/two', LegalHold: { Status: 'ON' } }));
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'dr/two' }))).ReplicationStatus).toBe('PENDING');
    expect(await missing(s3.send(new GetObjectLegalHoldCommand({ Bucket: Replica, Key: 'dr/two' })))).toBe(true);
    expect(await afterLag()).toEqual({ replicated: 1, waiting: 0 });
    expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket: Replica, Key: 'dr/two' }))).LegalHold?.Status).toBe('ON');
    // Only the locks changed: the replica has no third version.
    expect((await s3.send(new ListObjectVersionsCommand({ Bucket: Replica, Prefix: 'dr/two' }))).Versions).toHaveLength(2);
  });

  it('does not replicate delete markers or version deletes: the replica keeps the object', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'dr/three', Body: 'kept' }));
    await afterLag();
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'dr/three' }));
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'dr/three', VersionId: put.VersionId }));
    expect(await missing(s3.send(new HeadObjectCommand({ Bucket, Key: 'dr/three', VersionId: put.VersionId })))).toBe(true);
    await afterLag();
    const replica = await s3.send(new HeadObjectCommand({ Bucket: Replica, Key: 'dr/three' }));
    expect([replica.VersionId, replica.DeleteMarker]).toEqual([put.VersionId, undefined]);
    expect((await s3.send(new ListObjectVersionsCommand({ Bucket: Replica, Prefix: 'dr/three' }))).DeleteMarkers ?? []).toEqual([]);
  });

  it('keeps pending replication across a restart', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'dr/four', Body: 'after restart' }));
    runtime = await runtime.restart();
    s3 = s3For(runtime);
    expect(await afterLag()).toEqual({ replicated: 1, waiting: 0 });
    expect((await s3.send(new HeadObjectCommand({ Bucket: Replica, Key: 'dr/four' }))).VersionId).toBe(put.VersionId);
  });
});
