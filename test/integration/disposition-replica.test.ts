/**
 * Disposition and the DR copy (issues 15 and 18, docs/disposition.md, docs/dr.md) on the local
 * runtime, with the local clock and the local S3's replication: a soft delete's markers are not
 * replicated, so through the recovery window the replica keeps the bytes (a restore needs
 * nothing from it); after the window the purge destroys every version in the replica too, and
 * the certificate of destruction names both copies with the versions destroyed in each.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy } from '#infra/lifecycle/load-policy.ts';
import { system } from '#infra/system.ts';
import { s3For } from '#test/helpers/aws.ts';
import { stow } from '#test/helpers/dicom.ts';
import { currentKeys as currentKeysOf, dispositionApi, studyPrefixes, studyVersions, type Certificate } from '#test/helpers/disposition.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const LAG_SECONDS = 60;
const RETENTION = { recoveryWindow: '30d', rules: [{ id: 'test-default', jurisdiction: 'TEST', match: {}, adults: '5y', minors: { untilAge: '18y', plus: '2y' } }] };

const TODAY = new Date();
const yearsAgo = (years: number) => new Date(Date.UTC(TODAY.getUTCFullYear() - years, TODAY.getUTCMonth(), TODAY.getUTCDate()));
const da = (date: Date) => date.toISOString().slice(0, 10).replace(/-/g, '');

/** Two adults' studies well past 5 years: A with two instances (restored once, then purged by a second run), B with one. */
const A = '2.25.18150001';
const B = '2.25.18150002';
const file = (study: string, sop: number) =>
  synthesize('CT_small.dcm', {
    study,
    series: `${study}.1`,
    sop: `${study}.1.${sop}`,
    patientId: `P-${study}`,
    modality: 'CT',
    studyDate: da(yearsAgo(9)),
    extra: { '00100030': ['DA', da(yearsAgo(60))] },
  });
const FILES: Record<string, Buffer[]> = { [A]: [file(A, 1), file(A, 2)], [B]: [file(B, 1)] };

describe('Disposition and the DR replica (local runtime)', () => {
  let runtime: TestRuntime;
  let s3: S3Client;
  let archive: string;
  let replica: string;
  const original = process.env.LIFECYCLE_POLICY;

  beforeAll(async () => {
    runtime = await startTestRuntime({ replicationLagSeconds: LAG_SECONDS });
    s3 = s3For(runtime);
    archive = runtime.names.bucket(system.replication.source);
    replica = runtime.names.bucket(system.replication.replica);
    process.env.LIFECYCLE_POLICY = JSON.stringify({ ...loadPolicy(), version: 3, retention: RETENTION });
    for (const files of Object.values(FILES)) expect((await stow(runtime.url, files, '/dicom-web/studies')).status).toBe(200);
    await replicated();
  }, 240_000);
  afterAll(async () => {
    process.env.LIFECYCLE_POLICY = original;
    await runtime?.dispose();
  });

  /** Moves the local clock past the replication lag and lets the replicator run, as its ticker would. */
  async function replicated() {
    runtime.clock.advance((LAG_SECONDS + 1) * 1000);
    await runtime.s3.replicate();
  }

  const prefixes = (study: string) => studyPrefixes(TEST_TENANT, study);
  const currentKeys = (bucket: string, study: string) => currentKeysOf(s3, bucket, TEST_TENANT, study);
  const versions = (bucket: string, study: string) => studyVersions(s3, bucket, TEST_TENANT, study);
  /** Whether the replica's current objects of a study hold each of its files' bytes. */
  const replicaHoldsBytes = async (study: string) => {
    const bodies = await Promise.all((await currentKeys(replica, study)).map(async (Key) => Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: replica, Key }))).Body!.transformToByteArray())));
    return FILES[study]!.every((bytes) => bodies.some((body) => body.equals(bytes)));
  };

  const call = async (method: string, path: string, body?: unknown) => {
    const answer = await dispositionApi(runtime).call(method, path, {}, body);
    return { status: answer.status, json: answer.json ?? {} };
  };

  /** A dry run, its eligible studies, then its approval: the studies are soft-deleted. */
  async function runAndApprove(): Promise<{ id: string; eligible: string[] }> {
    const started = await call('POST', '/dispositions');
    expect(started.status).toBe(202);
    const id = String(started.json.id);
    await runtime.stepFunctions.settled();
    const report = (await call('GET', `/dispositions/${id}?format=json`)).json as { studies: { study: string; outcome: string }[] };
    const eligible = report.studies.filter((s) => s.outcome === 'eligible').map((s) => s.study).sort();
    expect((await call('POST', `/dispositions/${id}/approve`)).status).toBe(200);
    await runtime.stepFunctions.settled();
    expect((await call('GET', `/dispositions/${id}`)).json.status).toBe('RECOVERABLE');
    return { id, eligible };
  }

  /** Past the recovery window: the purge runs and writes the certificate. */
  async function purged(id: string): Promise<Certificate> {
    runtime.clock.advance(31 * 86_400_000);
    // The Wait state wakes on the advance: every execution runs to its end (none else waits).
    await runtime.stepFunctions.idle();
    const run = (await call('GET', `/dispositions/${id}`)).json as { status: string; certificateKey: string };
    expect(run.status).toBe('PURGED');
    return JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: archive, Key: run.certificateKey }))).Body!.transformToString()) as Certificate;
  }

  let replicaKeysOfA: string[] = [];
  let replicaVersionsOfB = 0;
  let firstRun = '';

  it('replicates the studies; a soft delete leaves its markers in the archive only, and the replica keeps the bytes', async () => {
    replicaKeysOfA = await currentKeys(replica, A);
    // Two instances, each with its bytes and its metadata document.
    expect(replicaKeysOfA).toHaveLength(4);
    expect(await currentKeys(archive, A)).toEqual(replicaKeysOfA);
    replicaVersionsOfB = (await versions(replica, B)).objects.length;
    expect(replicaVersionsOfB).toBe(2);

    const { id, eligible } = await runAndApprove();
    firstRun = id;
    expect(eligible).toEqual([A, B].sort());
    await replicated();
    for (const study of [A, B]) {
      expect(await currentKeys(archive, study)).toEqual([]);
      expect((await versions(archive, study)).markers.length).toBeGreaterThan(0);
      expect((await versions(replica, study)).markers).toEqual([]);
      expect(await replicaHoldsBytes(study)).toBe(true);
    }
  }, 240_000);

  it('a restore within the window needs nothing from the replica, which still holds the same bytes', async () => {
    expect((await call('POST', '/dispositions/restore', { studyInstanceUID: A })).status).toBe(200);
    expect(await currentKeys(archive, A)).toEqual(replicaKeysOfA);
    await replicated();
    expect(await currentKeys(replica, A)).toEqual(replicaKeysOfA);
    expect(await replicaHoldsBytes(A)).toBe(true);
  }, 120_000);

  it('after the window the purge destroys every version in the replica too, and the certificate names both copies', async () => {
    const certificate = await purged(firstRun);
    expect(certificate.copies).toEqual([
      { copy: 'archive', bucket: archive },
      { copy: 'dr-replica', bucket: replica },
    ]);
    expect(certificate.destroyed.map((d) => d.study)).toEqual([B]);
    // B's instance and metadata document: each an object version in the replica, plus its delete marker in the archive.
    expect(certificate.destroyed[0]!.versionsDestroyed).toEqual({ archive: 4, 'dr-replica': replicaVersionsOfB });
    for (const bucket of [archive, replica]) expect(await versions(bucket, B)).toEqual({ objects: [], markers: [] });
    // The restored study is untouched in both copies.
    expect(await currentKeys(archive, A)).toEqual(replicaKeysOfA);
    expect(await replicaHoldsBytes(A)).toBe(true);
  }, 240_000);

  it('the restored study, soft-deleted again by a later run, keeps its replica through that window and loses it after, a failed replica delete retried', async () => {
    const { id, eligible } = await runAndApprove();
    expect(eligible).toEqual([A]);
    await replicated();
    expect(await currentKeys(archive, A)).toEqual([]);
    expect(await replicaHoldsBytes(A)).toBe(true);
    const replicaVersionsOfA = (await versions(replica, A)).objects.length;

    // The replica's first DeleteObject fails (its 3 SDK attempts) after the archive's copy is gone: the
    // purge step throws and Step Functions retries it, which finds the archive empty and finishes in the replica.
    expect(runtime.s3.proxy.injectFault({ bucket: replica, keyPrefix: prefixes(A)[0]!, status: 503, code: 'SlowDown', operation: 'delete', remaining: 3 })).toBe(true);
    const certificate = await purged(id);
    const execution = runtime.stepFunctions.describeExecution(`${runtime.stepFunctions.arnOf('disposition').replace(':stateMachine:', ':execution:')}:${id}`);
    expect(execution.history.filter((e) => e.type === 'TaskFailed').map((e) => e.state)).toEqual(['Purge']);
    expect(certificate.copies.map((c) => c.copy)).toEqual(['archive', 'dr-replica']);
    expect(certificate.destroyed).toEqual([expect.objectContaining({ study: A, versionsDestroyed: { archive: 8, 'dr-replica': replicaVersionsOfA } })]);
    for (const bucket of [archive, replica]) expect(await versions(bucket, A)).toEqual({ objects: [], markers: [] });
    expect((await fetch(`${runtime.url}/dicom-web/studies/${A}/metadata`)).status).toBe(410);
  }, 240_000);
});
