/**
 * Disposition's safety nets at the moments between its checks and its acts (issue 15,
 * docs/disposition.md), on the local runtime with the DR replica and the local clock:
 * - a legal hold placed after the approval, while the Execute step works through its page;
 * - a legal hold placed during the recovery window, and one while the purge works through its page;
 * - S3 Object Lock on a version in the archive or in the DR replica when the purge comes, and one
 *   placed in the replica between the purge's look-up and its deletes;
 * - a step that keeps failing: the run shows FAILED, and once the fault is gone a resume ends it
 *   as an uninterrupted run ends.
 * Each case is a tenant of its own with three adult studies well past retention.
 */
import { GetObjectCommand, PutObjectLegalHoldCommand, PutObjectRetentionCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client, s3ReplicaClient } from '#adapters/aws-clients.ts';
import { loadPolicy } from '#infra/lifecycle/load-policy.ts';
import { system } from '#infra/system.ts';
import { s3For } from '#test/helpers/aws.ts';
import { stow } from '#test/helpers/dicom.ts';
import { beforeS3Request, currentKeys, dispositionApi, registerHold, studyVersions, type Certificate, type Headers } from '#test/helpers/disposition.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const LAG_SECONDS = 60;
const DAY = 86_400_000;
const RETENTION = { recoveryWindow: '30d', rules: [{ id: 'test-default', jurisdiction: 'TEST', match: {}, adults: '5y', minors: { untilAge: '18y', plus: '2y' } }] };

const TODAY = new Date();
const yearsAgo = (years: number) => new Date(Date.UTC(TODAY.getUTCFullYear() - years, TODAY.getUTCMonth(), TODAY.getUTCDate()));
const da = (date: Date) => date.toISOString().slice(0, 10).replace(/-/g, '');

const TENANTS = ['after-approval', 'in-window', 'object-lock', 'failing', 'steady'] as const;
type Tenant = (typeof TENANTS)[number];
/** Three studies per tenant, in UID order (the order a page takes them in). */
const studiesOf = (tenant: Tenant) => [1, 2, 3].map((n) => `2.25.19${TENANTS.indexOf(tenant)}00${n}`);
const fileOf = (study: string) =>
  synthesize('CT_small.dcm', { study, series: `${study}.1`, sop: `${study}.1.1`, patientId: `P-${study}`, modality: 'CT', studyDate: da(yearsAgo(9)), extra: { '00100030': ['DA', da(yearsAgo(60))] } });

describe('Disposition: holds and locks between the checks and the acts, and a failed run resumed (local runtime)', () => {
  let runtime: TestRuntime;
  let s3: S3Client;
  let archive: string;
  let replica: string;
  let api: ReturnType<typeof dispositionApi>;
  const headers: Partial<Record<Tenant, Headers>> = {};
  const runs: Partial<Record<Tenant, string>> = {};
  const original = process.env.LIFECYCLE_POLICY;

  beforeAll(async () => {
    runtime = await startTestRuntime({ replicationLagSeconds: LAG_SECONDS });
    s3 = s3For(runtime);
    archive = runtime.names.bucket(system.replication.source);
    replica = runtime.names.bucket(system.replication.replica);
    api = dispositionApi(runtime);
    process.env.LIFECYCLE_POLICY = JSON.stringify({ ...loadPolicy(), version: 4, retention: RETENTION });
    for (const tenant of TENANTS) {
      headers[tenant] = await runtime.authorization(tenant);
      for (const study of studiesOf(tenant)) expect((await stow(runtime.url, [fileOf(study)], '/dicom-web/studies', headers[tenant])).status).toBe(200);
    }
    await replicated();
  }, 300_000);
  afterAll(async () => {
    process.env.LIFECYCLE_POLICY = original;
    await runtime?.dispose();
  });

  /**
   * The tenant's dry run, which finds its three studies eligible. Each case starts its own when it
   * begins: a run left awaiting approval would expire when an earlier case moves the clock 31 days.
   */
  async function dryRun(tenant: Tenant) {
    const { id, report } = await api.dryRun(headers[tenant]);
    expect(report.studies.filter((s) => s.outcome === 'eligible').map((s) => s.study).sort()).toEqual(studiesOf(tenant));
    runs[tenant] = id;
    return id;
  }

  async function replicated() {
    runtime.clock.advance((LAG_SECONDS + 1) * 1000);
    await runtime.s3.replicate();
  }
  const seen = async (tenant: Tenant) => {
    const answer = await fetch(`${runtime.url}/dicom-web/studies?limit=100`, { headers: { Accept: 'application/dicom+json', ...headers[tenant] } });
    const body = answer.status === 204 ? [] : ((await answer.json()) as Record<string, { Value: string[] }>[]);
    return body.map((study) => study['0020000D']!.Value[0]!).sort();
  };
  /** Whether a copy answers with the study's bytes, as stored. */
  const holdsBytes = async (bucket: string, tenant: Tenant, study: string) => {
    const keys = (await currentKeys(s3, bucket, tenant, study)).filter((key) => key.startsWith(`${tenant}/studies/`));
    if (keys.length !== 1) return false;
    const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keys[0] }))).Body!.transformToByteArray());
    return body.equals(fileOf(study));
  };
  /** The key of a study's instance bytes (one instance each). */
  const bytesKey = async (bucket: string, tenant: Tenant, study: string) => (await studyVersions(s3, bucket, tenant, study)).objects.find((v) => v.Key.startsWith(`${tenant}/studies/`))!;
  /** Past the recovery window: every waiting run purges and writes its certificate. */
  async function afterWindow() {
    runtime.clock.advance(31 * DAY);
    await runtime.stepFunctions.idle();
  }
  const certificateOf = async (tenant: Tenant): Promise<Certificate> => {
    const run = (await api.run(runs[tenant]!, headers[tenant])) as { status: string; certificateKey: string; failure?: unknown };
    expect(run.status, JSON.stringify(run.failure)).toBe('PURGED');
    return JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: archive, Key: run.certificateKey }))).Body!.transformToString()) as Certificate;
  };
  const soleDelete = (tenant: Tenant, study: string) => (r: { command: string; input: { Key?: string; VersionId?: string } }) =>
    r.command === 'DeleteObjectCommand' && !r.input.VersionId && (r.input.Key ?? '').startsWith(`${tenant}/studies/${study}/`);
  const versionDelete = (bucket: () => string, tenant: Tenant, study: string) => (r: { command: string; input: { Bucket?: string; Key?: string; VersionId?: string } }) =>
    r.command === 'DeleteObjectCommand' && r.input.Bucket === bucket() && !!r.input.VersionId && (r.input.Key ?? '').startsWith(`${tenant}/studies/${study}/`);

  it('a hold placed after the approval, while Execute works through its page, saves that study; one placed while a study is moved puts it back', async () => {
    const [first, second, third] = studiesOf('after-approval') as [string, string, string];
    // After the approval: as the first study's bytes get their delete marker, a hold comes on the second;
    // as the third's get theirs (its own re-check already passed), a hold comes on the third.
    const onSecond = beforeS3Request(s3Client(), soleDelete('after-approval', first), () => registerHold(runtime, 'after-approval', second, 'case-a1'));
    const onThird = beforeS3Request(s3Client(), soleDelete('after-approval', third), () => registerHold(runtime, 'after-approval', third, 'case-a2'));
    try {
      expect(await api.approve(await dryRun('after-approval'), headers['after-approval'])).toMatchObject({ status: 'RECOVERABLE' });
      expect([onSecond.acted(), onThird.acted()]).toEqual([true, true]);
    } finally {
      onSecond.remove();
      onThird.remove();
    }
    expect(await seen('after-approval')).toEqual([second, third]);
    for (const study of [second, third]) {
      expect(await holdsBytes(archive, 'after-approval', study)).toBe(true);
      expect((await studyVersions(s3, archive, 'after-approval', study)).markers).toEqual([]);
    }
    await afterWindow();
    const certificate = await certificateOf('after-approval');
    expect(certificate.destroyed.map((d) => d.study)).toEqual([first]);
    expect(certificate.kept).toEqual([
      { study: second, state: 'skipped', reason: 'the study came under legal hold (case-a1) after the report was approved' },
      { study: third, state: 'skipped', reason: 'a legal hold (case-a2) was placed while the study was being soft-deleted; it was put back' },
    ]);
    expect(await seen('after-approval')).toEqual([second, third]);
    for (const study of [second, third]) expect(await holdsBytes(replica, 'after-approval', study)).toBe(true);
  }, 180_000);

  it('a hold placed during the recovery window, or while the purge works through its page, keeps that study whole in both copies', async () => {
    const [first, second, third] = studiesOf('in-window') as [string, string, string];
    expect(await api.approve(await dryRun('in-window'), headers['in-window'])).toMatchObject({ status: 'RECOVERABLE' });
    expect(await seen('in-window')).toEqual([]);
    await replicated();
    await registerHold(runtime, 'in-window', first, 'case-b1');
    // As the purge destroys the second study's first version in the archive, a hold comes on the third.
    const onThird = beforeS3Request(s3Client(), versionDelete(() => archive, 'in-window', second), () => registerHold(runtime, 'in-window', third, 'case-b2'));
    try {
      await afterWindow();
      expect(onThird.acted()).toBe(true);
    } finally {
      onThird.remove();
    }
    const certificate = await certificateOf('in-window');
    expect(certificate.destroyed.map((d) => d.study)).toEqual([second]);
    expect(certificate.kept).toEqual([first, third].map((study) => ({ study, state: 'kept', reason: 'a legal hold was placed during the recovery window; the study was restored' })));
    expect(await seen('in-window')).toEqual([first, third]);
    for (const study of [first, third]) {
      expect(await holdsBytes(archive, 'in-window', study)).toBe(true);
      expect(await holdsBytes(replica, 'in-window', study)).toBe(true);
    }
    for (const bucket of [archive, replica]) expect(await studyVersions(s3, bucket, 'in-window', second)).toEqual({ objects: [], markers: [] });
  }, 180_000);

  it('S3 Object Lock on a version in the archive or the replica keeps that study (nothing destroyed, restored); a lock placed after the look-up is reported refused', async () => {
    const [inArchive, inReplica, raced] = studiesOf('object-lock') as [string, string, string];
    expect(await api.approve(await dryRun('object-lock'), headers['object-lock'])).toMatchObject({ status: 'RECOVERABLE' });
    await replicated();
    // The archive's soft-deleted version of the first study under an S3 legal hold; the replica's of the second under retention.
    const archived = await bytesKey(archive, 'object-lock', inArchive);
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: archive, Key: archived.Key, VersionId: archived.VersionId, LegalHold: { Status: 'ON' } }));
    const replicated_ = await bytesKey(replica, 'object-lock', inReplica);
    await s3.send(new PutObjectRetentionCommand({ Bucket: replica, Key: replicated_.Key, VersionId: replicated_.VersionId, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date(runtime.clock.now().getTime() + 365 * DAY) } }));
    // The third: its archive copy is destroyed, then, just before the replica's version is, a legal hold comes on it.
    const racedVersion = await bytesKey(replica, 'object-lock', raced);
    const lockRaced = beforeS3Request(s3ReplicaClient(), versionDelete(() => replica, 'object-lock', raced), async () => {
      await s3.send(new PutObjectLegalHoldCommand({ Bucket: replica, Key: racedVersion.Key, VersionId: racedVersion.VersionId, LegalHold: { Status: 'ON' } }));
    });
    try {
      await afterWindow();
      expect(lockRaced.acted()).toBe(true);
    } finally {
      lockRaced.remove();
    }
    const certificate = await certificateOf('object-lock');
    expect(certificate.destroyed).toEqual([]);
    expect(certificate.kept.map((k) => [k.study, k.state])).toEqual([
      [inArchive, 'kept'],
      [inReplica, 'kept'],
      [raced, 'refused'],
    ]);
    expect(certificate.kept[0]!.reason).toMatch(/^an S3 legal hold on a version in the archive copy .*nothing was destroyed; the study was restored$/);
    expect(certificate.kept[1]!.reason).toMatch(/^S3 retention \(GOVERNANCE\) until .* on a version in the dr-replica copy .*nothing was destroyed/);
    expect(certificate.kept[2]!.reason).toMatch(/^S3 refused to delete a version in the dr-replica copy/);
    // The refused study: gone from the archive, its replica's bytes kept and counted, its index entries kept (hidden, in the vault).
    expect(certificate.kept[2]!.versionsRemaining).toEqual({ archive: 0, 'dr-replica': expect.any(Number) });
    expect(certificate.kept[2]!.versionsRemaining!['dr-replica']).toBeGreaterThan(0);
    expect((await studyVersions(s3, replica, 'object-lock', raced)).objects).toContainEqual(racedVersion);
    // The kept studies are whole and visible again; their locked versions untouched.
    expect(await seen('object-lock')).toEqual([inArchive, inReplica]);
    for (const study of [inArchive, inReplica]) {
      expect(await holdsBytes(archive, 'object-lock', study)).toBe(true);
      expect(await holdsBytes(replica, 'object-lock', study)).toBe(true);
    }
  }, 180_000);

  it('a step that keeps failing leaves the run FAILED; once the fault is gone, a resume ends it as an uninterrupted run', async () => {
    const failing = studiesOf('failing');
    // The second study's Object Lock look-ups fail until the fault is removed: the Execute step fails after its retries.
    runtime.s3.proxy.injectFault({ bucket: archive, keyPrefix: `failing/studies/${failing[1]}/`, status: 503, code: 'SlowDown' });
    try {
      await dryRun('steady');
      expect(await api.approve(await dryRun('failing'), headers.failing)).toMatchObject({ status: 'FAILED', failures: 1, failure: { phase: 'execute', status: 'EXECUTING', error: expect.any(String) } });
      const execution = runtime.stepFunctions.describeExecution(`${runtime.stepFunctions.arnOf('disposition').replace(':stateMachine:', ':execution:')}:${runs.failing}`);
      expect([execution.status, execution.error]).toEqual(['FAILED', 'DispositionFailed']);
      expect(execution.history.filter((e) => e.type === 'TaskFailed' && e.state === 'Execute')).toHaveLength(4);
      // Resuming while the fault is still there fails again, and says so.
      expect((await api.call('POST', `/dispositions/${runs.failing}/resume`, headers.failing)).status).toBe(200);
      await runtime.stepFunctions.settled();
      expect(await api.run(runs.failing!, headers.failing)).toMatchObject({ status: 'FAILED', failures: 2, failure: { phase: 'execute', execution: `${runs.failing}-resume-1` } });
      // A resumed execution that fails before its resume has set the run back is the next failure; a retried record of it counts nothing again.
      const record = { tenant: 'failing', id: runs.failing, phase: 'execute', error: 'Error', cause: 'failed before the run was set back', execution: `${runs.failing}-resume-2` };
      for (let i = 0; i < 2; i++) await runtime.lambdas.invoke('recordDispositionFailure', record);
      expect(await api.run(runs.failing!, headers.failing)).toMatchObject({ status: 'FAILED', failures: 3, failure: { status: 'EXECUTING', execution: `${runs.failing}-resume-2` } });
    } finally {
      runtime.s3.proxy.clearFaults();
    }
    expect((await api.call('POST', `/dispositions/${runs.failing}/resume`, await runtime.authorization('failing', ['ilm.admin']))).status).toBe(403);
    expect((await api.call('POST', `/dispositions/${runs.failing}/resume`, headers.failing)).json).toMatchObject({ status: 'EXECUTING' });
    // A repeated resume: the run is no longer FAILED.
    expect((await api.call('POST', `/dispositions/${runs.failing}/resume`, headers.failing)).status).toBe(409);
    await runtime.stepFunctions.settled();
    expect(await api.approve(runs.steady!, headers.steady)).toMatchObject({ status: 'RECOVERABLE' });

    const stateOf = async (tenant: Tenant) => {
      const run = (await api.run(runs[tenant]!, headers[tenant])) as { status: string };
      const versions = await Promise.all(studiesOf(tenant).map(async (study) => ({ archive: await studyVersions(s3, archive, tenant, study) })));
      return { status: run.status, seen: (await seen(tenant)).length, versions: versions.map((v) => [v.archive.objects.length, v.archive.markers.length]) };
    };
    expect(await stateOf('failing')).toEqual(await stateOf('steady'));
    expect((await stateOf('steady')).status).toBe('RECOVERABLE');
    await afterWindow();
    const [resumed, steady] = [await certificateOf('failing'), await certificateOf('steady')];
    expect(resumed.destroyed.map((d) => d.versionsDestroyed)).toEqual(steady.destroyed.map((d) => d.versionsDestroyed));
    expect(resumed.destroyed.map((d) => d.study)).toEqual(failing);
    expect(resumed.kept).toEqual([]);
    expect(await stateOf('failing')).toEqual(await stateOf('steady'));
  }, 240_000);
});
