/**
 * The S3 fidelity layer keeps state s3rver does not (legal holds, retention, restores, the
 * object's checksum and class). S3 answers only once a change is durable, so the local S3,
 * killed with SIGKILL the moment an answer leaves it, must still hold what it answered (a delete
 * marker too, with the version under it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  ListObjectVersionsCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  RestoreObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '#infra/local/runtime.ts';

const Bucket = 'strata-archive';
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

describe('Local S3: state answered before a crash survives it', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-s3-durable-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Starts the local S3 on `dataDir`; `crashing` clients make it die after each answer. */
  async function start(): Promise<{ client: S3Client; crashing: S3Client; exited: Promise<unknown> }> {
    const started = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/s3-crash-child.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, STRATA_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child = started;
    const exited = new Promise((resolve) => started.once('exit', resolve));
    const endpoint = await new Promise<string>((resolve, reject) => {
      let out = '';
      started.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /endpoint (\S+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      void exited.then(() => reject(new Error(`the local S3 exited before it was ready: ${out}`)));
    });
    const make = () => new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });
    const crashing = make();
    crashing.middlewareStack.add(
      (next) => (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-crash-after-response'] = '1';
        return next(args);
      },
      { step: 'build', name: 'crashAfterResponse' },
    );
    return { client: make(), crashing, exited };
  }

  /** Sends `change` through a client that kills the S3 right after the answer, then starts it again. */
  async function answeredThenKilled(change: (s3: S3Client) => Promise<unknown>): Promise<S3Client> {
    const { crashing, exited } = await start();
    await change(crashing); // answered: the change was acknowledged
    await exited;
    return (await start()).client;
  }

  it('keeps a legal hold, a retention date, an object lock set at PUT and a restore request', async () => {
    const until = new Date(Date.now() + 86_400_000 * 30);
    until.setMilliseconds(0);
    let s3 = (await start()).client;
    for (const Key of ['held', 'retained']) await s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'cold', Body: 'cold', StorageClass: 'GLACIER' }));
    child!.kill('SIGKILL');

    s3 = await answeredThenKilled((c) => c.send(new PutObjectLegalHoldCommand({ Bucket, Key: 'held', LegalHold: { Status: 'ON' } })));
    expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket, Key: 'held' }))).LegalHold?.Status).toBe('ON');
    child!.kill('SIGKILL');

    s3 = await answeredThenKilled((c) =>
      c.send(new PutObjectRetentionCommand({ Bucket, Key: 'retained', Retention: { Mode: 'GOVERNANCE', RetainUntilDate: until } })),
    );
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket, Key: 'retained' }))).Retention).toEqual({ Mode: 'GOVERNANCE', RetainUntilDate: until });
    child!.kill('SIGKILL');

    s3 = await answeredThenKilled((c) =>
      c.send(new PutObjectCommand({ Bucket, Key: 'locked-at-put', Body: 'x', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until })),
    );
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket, Key: 'locked-at-put' }))).Retention).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: until });
    child!.kill('SIGKILL');

    s3 = await answeredThenKilled((c) => c.send(new RestoreObjectCommand({ Bucket, Key: 'cold', RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Standard' } } })));
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'cold' }))).Restore).toMatch(/ongoing-request="true"/);
    child!.kill('SIGKILL');

    // A delete marker, once answered, stays, and the version under it keeps its bytes and its hold.
    s3 = await answeredThenKilled((c) => c.send(new DeleteObjectCommand({ Bucket, Key: 'held' })));
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'held' }));
    expect([versions.DeleteMarkers?.length, versions.Versions?.length]).toEqual([1, 1]);
    const held = await s3.send(new GetObjectCommand({ Bucket, Key: 'held', VersionId: versions.Versions![0]!.VersionId }));
    expect([await held.Body!.transformToString(), held.ObjectLockLegalHoldStatus]).toEqual(['held', 'ON']);
  }, 300_000); // six starts of the local S3, seconds each on a loaded machine
});
