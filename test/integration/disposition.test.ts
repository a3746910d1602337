/**
 * Disposition acceptance (issue 15) on the local runtime, with the local clock: a seeded archive
 * of adults, children, mammograms, pinned and held studies across 15 years; the dry run's
 * report is compared with an expectation computed here from the fixture alone (plain date
 * arithmetic, not the code under test); then approval, soft-delete, restore, the recovery
 * window on the clock, purge and the certificate; stale approvals; and a Task that fails midway.
 */
import { GetObjectCommand, GetObjectRetentionCommand, ListObjectVersionsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy } from '#infra/lifecycle/load-policy.ts';
import { dynamoFor, s3For } from '#test/helpers/aws.ts';
import { sha256, stow } from '#test/helpers/dicom.ts';
import { dispositionApi, registerHold, type DispositionReport } from '#test/helpers/disposition.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

/** The retention the test deploys: short periods, so the safety nets (10-year MQSA, age 21) are what binds. */
const RETENTION = { recoveryWindow: '30d', rules: [{ id: 'test-default', jurisdiction: 'TEST', match: {}, adults: '5y', minors: { untilAge: '18y', plus: '2y' } }] };
const policyJson = (version: number) => JSON.stringify({ ...loadPolicy(), version, retention: RETENTION });

interface FixtureStudy {
  name: string;
  studyDate?: Date;
  birthDate?: Date;
  modality: string;
  pinned?: boolean;
  held?: boolean;
}

const TODAY = new Date();
/** A date `years` and `days` before today (UTC calendar). */
const ago = (years: number, days = 0) => new Date(Date.UTC(TODAY.getUTCFullYear() - years, TODAY.getUTCMonth(), TODAY.getUTCDate() - days));
const da = (date: Date) => date.toISOString().slice(0, 10).replace(/-/g, '');

const FIXTURE: FixtureStudy[] = [
  { name: 'adult-14y', studyDate: ago(14, 100), birthDate: ago(60), modality: 'CT' },
  { name: 'adult-7y', studyDate: ago(7), birthDate: ago(50), modality: 'MR' },
  { name: 'adult-3y', studyDate: ago(3), birthDate: ago(40), modality: 'CT' },
  { name: 'adult-5y-past', studyDate: ago(5, 40), birthDate: ago(45), modality: 'CT' },
  { name: 'adult-5y-not-yet', studyDate: ago(4, 300), birthDate: ago(45), modality: 'CT' },
  { name: 'mammo-12y', studyDate: ago(12), birthDate: ago(62), modality: 'MG' },
  { name: 'mammo-7y', studyDate: ago(7, 10), birthDate: ago(55), modality: 'MG' },
  { name: 'child-floor', studyDate: ago(17, 180), birthDate: ago(20, 180), modality: 'CR' },
  { name: 'child-done', studyDate: ago(15), birthDate: ago(30), modality: 'CR' },
  { name: 'child-retained', studyDate: ago(8), birthDate: ago(10), modality: 'CR' },
  { name: 'pinned', studyDate: ago(12), birthDate: ago(70), modality: 'CT', pinned: true },
  { name: 'held', studyDate: ago(12, 5), birthDate: ago(70), modality: 'CT', held: true },
  { name: 'no-birth-date', studyDate: ago(12, 9), modality: 'CT' },
  { name: 'no-study-date', birthDate: ago(50), modality: 'CT' },
  { name: 'hold-after-dry-run', studyDate: ago(11), birthDate: ago(66), modality: 'CT' },
  { name: 'restored', studyDate: ago(9), birthDate: ago(48), modality: 'CT' },
];

const uidOf = (tenant: string, index: number) => `2.25.${tenant === TEST_TENANT ? 15 : tenant === 'calm' ? 16 : 17}000${String(index + 10)}`;

/**
 * The expectation, from the fixture alone: adults 5 calendar years after the study; minors
 * (under 18 at the study) until 18 + 2; mammograms never within 10 years; minors never before 21;
 * held, pinned or undated never; studies newer than 5 years are not examined.
 */
function expected(s: FixtureStudy): string {
  const plus = (date: Date, years: number) => new Date(Date.UTC(date.getUTCFullYear() + years, date.getUTCMonth(), date.getUTCDate()));
  if (s.studyDate && s.studyDate > plus(TODAY, -5)) return 'not-examined';
  if (s.held) return 'spared:legal-hold';
  if (s.pinned) return 'spared:research-pin';
  if (!s.studyDate || !s.birthDate) return 'spared:unreliable-dates';
  const minor = plus(s.birthDate, 18) > s.studyDate;
  const ruleEnd = minor && plus(s.birthDate, 20) > plus(s.studyDate, 5) ? plus(s.birthDate, 20) : plus(s.studyDate, 5);
  if (TODAY < ruleEnd) return 'retained';
  if (s.modality === 'MG' && TODAY < plus(s.studyDate, 10)) return 'spared:mammography-floor';
  if (minor && TODAY < plus(s.birthDate, 21)) return 'spared:pediatric-floor';
  return 'eligible';
}

function files(tenant: string, study: FixtureStudy, index: number): Buffer {
  const uid = uidOf(tenant, index);
  return synthesize('CT_small.dcm', {
    study: uid,
    series: `${uid}.1`,
    sop: `${uid}.1.1`,
    patientId: `P-${study.name}`,
    modality: study.modality,
    ...(study.studyDate ? { studyDate: da(study.studyDate) } : {}),
    extra: study.birthDate ? { '00100030': ['DA', da(study.birthDate)] } : {},
    remove: [...(study.studyDate ? [] : ['00080020']), ...(study.birthDate ? [] : ['00100030'])],
  });
}

type Report = DispositionReport;

describe('Disposition workflow (statemachines/disposition.asl.json) on the local runtime', () => {
  let runtime: TestRuntime;
  const table = () => process.env.TABLE_INDEX!;
  const bucket = () => process.env.BUCKET_ARCHIVE!;
  const original = process.env.LIFECYCLE_POLICY;


  async function seed(tenant: string, headers: Record<string, string> = {}) {
    for (const [index, study] of FIXTURE.entries()) {
      const stored = await stow(runtime.url, [files(tenant, study, index)], '/dicom-web/studies', headers);
      expect(stored.status).toBe(200);
      const pk = { S: `T#${tenant}#S#${uidOf(tenant, index)}` };
      if (study.held) await registerHold(runtime, tenant, uidOf(tenant, index), 'case-17');
      if (study.pinned) {
        await dynamoFor(runtime).send(new UpdateItemCommand({ TableName: table(), Key: { pk, sk: { S: 'STUDY' } }, UpdateExpression: 'SET pins = :p', ExpressionAttributeValues: { ':p': { SS: ['research'] } } }));
      }
    }
  }

  const studiesSeen = async (tenant: string, headers: Record<string, string> = {}) => {
    const answer = await fetch(`${runtime.url}/dicom-web/studies?limit=1000${tenant === TEST_TENANT ? '' : ''}`, { headers: { Accept: 'application/dicom+json', ...headers } });
    const body = answer.status === 204 ? [] : ((await answer.json()) as Record<string, { Value: string[] }>[]);
    return new Set(body.map((study) => study['0020000D']!.Value[0]!));
  };

  let api: ReturnType<typeof dispositionApi>;
  const call: ReturnType<typeof dispositionApi>['call'] = (...args) => api.call(...args);
  const dryRun = (headers: Record<string, string> = {}) => api.dryRun(headers);

  beforeAll(async () => {
    runtime = await startTestRuntime();
    api = dispositionApi(runtime);
    // Deploying a policy with retention rules: the functions' LIFECYCLE_POLICY changes (lambdas/config.ts re-reads it).
    process.env.LIFECYCLE_POLICY = policyJson(7);
    await seed(TEST_TENANT);
  }, 240_000);
  afterAll(async () => {
    process.env.LIFECYCLE_POLICY = original;
    await runtime?.dispose();
  });

  const byOutcome = (report: Report) =>
    Object.fromEntries(report.studies.map((row) => [row.study, row.outcome === 'eligible' ? 'eligible' : `spared:${row.safetyNet}`]));
  const expectation = (tenant: string, override: (s: FixtureStudy) => FixtureStudy = (s) => s) =>
    Object.fromEntries(FIXTURE.map((s, i) => [uidOf(tenant, i), expected(override(s))]).filter(([, outcome]) => outcome === 'eligible' || outcome!.startsWith('spared')));

  let firstRun = '';
  let secondRun = '';
  let eligible: string[] = [];

  it('the dry run lists exactly the studies the fixture says, with the rule or the safety net', async () => {
    const { id, report } = await dryRun();
    firstRun = id;
    expect(byOutcome(report)).toEqual(expectation(TEST_TENANT));
    const examined = FIXTURE.filter((s) => expected(s) !== 'not-examined').length;
    expect(report.summary).toMatchObject({ examined, retained: FIXTURE.filter((s) => expected(s) === 'retained').length, policyVersion: 7 });
    expect(report.studies.filter((r) => r.outcome === 'eligible').every((r) => r.rule === 'test-default')).toBe(true);
    // Every eligible study is one instance on Standard: its file's bytes, and the saving at $0.023/GB-month.
    const bytes = FIXTURE.map((s, i) => (expected(s) === 'eligible' ? files(TEST_TENANT, s, i).length : 0)).reduce((a, b) => a + b, 0);
    expect(report.summary.bytesByTier).toEqual({ STANDARD: bytes });
    expect(report.summary.monthlySavingUsd).toBe(Math.round((bytes / 2 ** 30) * 0.023 * 100) / 100);
    const csv = await call('GET', `/dispositions/${id}`, { Accept: 'text/csv' });
    expect(csv.text.split('\r\n')[0]).toBe('study,outcome,rule,jurisdiction,category,safety_net,reason,hold_ids,study_date,retain_until,instances,bytes');
    expect(csv.text.trim().split('\r\n')).toHaveLength(report.studies.length + 1);
  }, 240_000);

  it('a hold placed between the dry run and the approval makes the report stale; a new dry run spares that study', async () => {
    const index = FIXTURE.findIndex((s) => s.name === 'hold-after-dry-run');
    await registerHold(runtime, TEST_TENANT, uidOf(TEST_TENANT, index), 'case-99');
    const refused = await call('POST', `/dispositions/${firstRun}/approve`);
    expect(refused.status).toBe(409);
    expect(refused.text).toMatch(/1 of the report's studies came under legal hold/);
    expect((await call('POST', `/dispositions/${firstRun}/reject`)).status).toBe(200);
    await runtime.stepFunctions.settled();
    expect((await call('GET', `/dispositions/${firstRun}`)).json.status).toBe('REJECTED');

    const { id, report } = await dryRun();
    secondRun = id;
    expect(byOutcome(report)).toEqual(expectation(TEST_TENANT, (s) => (s.name === 'hold-after-dry-run' ? { ...s, held: true } : s)));
    eligible = report.studies.filter((r) => r.outcome === 'eligible').map((r) => r.study);
  }, 240_000);

  it('a policy edit after the dry run makes the approval fail; approval needs the admin scope', async () => {
    process.env.LIFECYCLE_POLICY = policyJson(8);
    const refused = await call('POST', `/dispositions/${secondRun}/approve`);
    expect(refused.status).toBe(409);
    expect(refused.text).toMatch(/policy changed since this report was made \(version 7, now 8\)/);
    process.env.LIFECYCLE_POLICY = policyJson(7);
    const withoutAdmin = await call('POST', `/dispositions/${secondRun}/approve`, await runtime.authorization(TEST_TENANT, ['ilm.admin']));
    expect(withoutAdmin.status).toBe(403);
  });

  it('approval executes: QIDO no longer returns the studies, WADO answers 404, spared studies stay', async () => {
    const before = await studiesSeen(TEST_TENANT);
    const approved = await call('POST', `/dispositions/${secondRun}/approve`);
    expect(approved.status).toBe(200);
    await runtime.stepFunctions.settled();
    const run = (await call('GET', `/dispositions/${secondRun}`)).json;
    expect(run).toMatchObject({ status: 'RECOVERABLE', approvedBy: 'strata-tests' });
    const after = await studiesSeen(TEST_TENANT);
    expect([...before].filter((uid) => !after.has(uid)).sort()).toEqual([...eligible].sort());
    const wado = await fetch(`${runtime.url}/dicom-web/studies/${eligible[0]}/metadata`);
    expect(wado.status).toBe(404);
  }, 240_000);

  it('restore brings one study back within the window, byte for byte (the bucket keeps versions)', async () => {
    const index = FIXTURE.findIndex((s) => s.name === 'restored');
    const uid = uidOf(TEST_TENANT, index);
    const restored = await call('POST', '/dispositions/restore', {}, { studyInstanceUID: uid });
    expect(restored.status).toBe(200);
    expect((await studiesSeen(TEST_TENANT)).has(uid)).toBe(true);
    const again = await call('POST', '/dispositions/restore', {}, { studyInstanceUID: uid });
    expect(again.status).toBe(409);
    const wado = await fetch(`${runtime.url}/dicom-web/studies/${uid}/series/${uid}.1/instances/${uid}.1.1`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
    expect(wado.status).toBe(200);
    const body = Buffer.from(await wado.arrayBuffer());
    expect(body.includes(files(TEST_TENANT, FIXTURE[index]!, index))).toBe(true);
  }, 120_000);

  it('after the recovery window (clock +31d) the purge removes every version and a locked certificate exists', async () => {
    runtime.clock.advance(31 * 86_400_000);
    await runtime.stepFunctions.idle();
    const run = (await call('GET', `/dispositions/${secondRun}`)).json as { status: string; certificateKey: string };
    expect(run.status).toBe('PURGED');
    const restoredUid = uidOf(TEST_TENANT, FIXTURE.findIndex((s) => s.name === 'restored'));
    const purged = eligible.filter((uid) => uid !== restoredUid);
    for (const uid of purged) {
      const listed = await s3For(runtime).send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: `${TEST_TENANT}/studies/${uid}/` }));
      expect(listed.KeyCount ?? 0).toBe(0);
      const versions = await s3For(runtime).send(new ListObjectVersionsCommand({ Bucket: bucket(), Prefix: `${TEST_TENANT}/studies/${uid}/` }));
      expect([...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])]).toHaveLength(0);
      expect((await fetch(`${runtime.url}/dicom-web/studies/${uid}/metadata`)).status).toBe(410);
    }
    const certificate = JSON.parse(await (await s3For(runtime).send(new GetObjectCommand({ Bucket: bucket(), Key: run.certificateKey }))).Body!.transformToString()) as {
      policyVersion: number; approvedBy: string; destroyed: { study: string; sha256: string[] }[];
    };
    expect(certificate).toMatchObject({ policyVersion: 7, approvedBy: 'strata-tests' });
    expect(certificate.destroyed.map((d) => d.study).sort()).toEqual([...purged].sort());
    expect(certificate.destroyed.every((d) => d.sha256.length === 1 && /^[0-9a-f]{64}$/.test(d.sha256[0]!))).toBe(true);
    const lock = await s3For(runtime).send(new GetObjectRetentionCommand({ Bucket: bucket(), Key: run.certificateKey }));
    expect(lock.Retention?.Mode).toBe('COMPLIANCE');
    expect(lock.Retention!.RetainUntilDate!.getTime()).toBeGreaterThan(runtime.clock.now().getTime() + 9 * 365 * 86_400_000);
    // The restored study is whole and visible; spared studies were never touched.
    expect((await studiesSeen(TEST_TENANT)).has(restoredUid)).toBe(true);
    // State transitions (billed per 1,000): one per state entered. Each looped step takes pages while its
    // Lambda has time, so a run this size enters each state once: 14 in all, Resume and Begin included
    // (docs/disposition.md; test/unit/infra/disposition-history.test.ts counts larger runs).
    const sfn = new SFNClient({ endpoint: runtime.stepFunctions.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: `${runtime.stepFunctions.arnOf('disposition').replace(':stateMachine:', ':execution:')}:${secondRun}` }));
    expect((history.events ?? []).filter((e) => String(e.type) === 'StateEntered')).toHaveLength(14);
  }, 240_000);

  it('a Task that throws mid-execution, retried, ends in the same state as an uninterrupted run', async () => {
    const calm = await runtime.authorization('calm');
    const crash = await runtime.authorization('crash');
    await seed('calm', calm);
    await seed('crash', crash);
    const runs: Record<string, string> = {};
    for (const [tenant, headers] of [['calm', calm], ['crash', crash]] as const) runs[tenant] = (await dryRun(headers)).id;
    // The third eligible study of 'crash' fails its Object Lock look-ups (legal hold and retention, 3 SDK attempts each)
    // once: the page has soft-deleted two studies by then, and Step Functions retries the Task.
    const crashEligible = FIXTURE.map((s, i) => [uidOf('crash', i), expected(s)] as const).filter(([, e]) => e === 'eligible').map(([uid]) => uid).sort();
    const fault = await fetch(`${runtime.url}/_local/s3/faults`, { method: 'POST', body: JSON.stringify({ keyPrefix: `crash/studies/${crashEligible[2]}/`, status: 503, code: 'SlowDown', remaining: 6 }) });
    expect(fault.status).toBe(200);
    for (const [tenant, headers] of [['calm', calm], ['crash', crash]] as const) {
      expect((await call('POST', `/dispositions/${runs[tenant]}/approve`, headers)).status).toBe(200);
    }
    await runtime.stepFunctions.settled();

    const sfn = new SFNClient({ endpoint: runtime.stepFunctions.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const historyOf = async (id: string) =>
      (await sfn.send(new GetExecutionHistoryCommand({ executionArn: `${runtime.stepFunctions.arnOf('disposition').replace(':stateMachine:', ':execution:')}:${id}` }))).events ?? [];
    const failures = async (id: string) => (await historyOf(id)).filter((e) => /Fail|Retry/i.test(e.type ?? '')).map((e) => e.type);
    expect(await failures(runs.crash!), JSON.stringify((await historyOf(runs.crash!)).map((e) => e.type))).not.toEqual([]);
    expect(await failures(runs.calm!)).toEqual([]);

    const stateOf = async (tenant: string, headers: Record<string, string>) => {
      const run = (await call('GET', `/dispositions/${runs[tenant]}`, headers)).json as { status: string; summary: Record<string, unknown> };
      const report = JSON.parse((await call('GET', `/dispositions/${runs[tenant]}?format=json`, headers)).text) as Report;
      const seen = [...(await studiesSeen(tenant, headers))].map((uid) => uid.replace(/^2\.25\.1[67]/, 'X')).sort();
      const objects = (await s3For(runtime).send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: `${tenant}/studies/` }))).Contents ?? [];
      return { status: run.status, eligible: report.summary.eligible, seen, objects: objects.length };
    };
    const calmState = await stateOf('calm', calm);
    expect(calmState.status).toBe('RECOVERABLE');
    expect(await stateOf('crash', crash)).toEqual(calmState);
  }, 300_000);
});
