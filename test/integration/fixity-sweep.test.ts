/**
 * The scheduled fixity sweep (services/fixity/fixity-sweep.ts, statemachines/fixity-sweep.asl.json,
 * docs/dr.md): each run resumes where the previous one stopped, so with a budget smaller than
 * the archive every study is still verified once per cycle (a sweep that restarted would never
 * reach the last study); a cycle's totals are kept; damage is reported (the run, the study's
 * record, the Strata/Fixity metric and its alarm), never repaired.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceObjectKey } from '#core/index-keys.ts';
import { FIXITY_METRIC, FIXITY_METRICS_NAMESPACE } from '#core/fixity/sweep-metrics.ts';
import { getSweepPosition } from '#adapters/fixity/sweep-cursor.ts';
import { fixitySweepStep, type FixitySweepStep } from '#services/fixity/fixity-sweep.ts';
import { s3For } from '#test/helpers/aws.ts';
import { sha256, stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, TEST_TENANT, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

// Three studies of one instance; the sweep walks them newest StudyDate first (gsi3), so the last is STUDIES[0].
const STUDIES = [1, 2, 3].map((n) => ({ study: `2.25.7701${n}`, series: `2.25.7701${n}.1`, sop: `2.25.7701${n}.1.1`, studyDate: `2020010${n}` }));
const FILES = STUDIES.map((uids) => synthesize('CT_small.dcm', uids));
const keyOf = (n: number) => instanceObjectKey({ tenant: TEST_TENANT, ...STUDIES[n]! }, sha256(FILES[n]!));

describe('the fixity sweep cycles through every object across runs', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    await runtime.stepFunctions.idle();
    expect((await stow(runtime.url, FILES)).status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await runtime?.dispose();
  });

  /** One run of the sweep for the tenant, as the workflow loops it, with a budget of `perRun` instances. */
  const sweep = async (perRun: number) => {
    let step: FixitySweepStep = { tenant: TEST_TENANT };
    do step = await fixitySweepStep(step, () => Infinity, perRun);
    while (!step.run!.done);
    return step.run!;
  };

  it('resumes each run after the studies the previous run verified, and closes the cycle with its totals', async () => {
    const first = await sweep(2);
    expect(first).toMatchObject({ cycle: 1, cycleCompleted: false, counts: { studies: 2, verified: 2, mismatched: 0, missing: 0 }, damagedStudies: [] });

    // The study the first run did not reach is damaged now: only a run that resumes finds it.
    const tampered = Buffer.from(FILES[0]!);
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 0xff;
    await s3For(runtime).send(new PutObjectCommand({ Bucket: runtime.names.bucket('archive'), Key: keyOf(0), Body: tampered }));

    const second = await sweep(2);
    expect(second).toMatchObject({ cycle: 1, cycleCompleted: true, counts: { studies: 1, verified: 0, mismatched: 1 }, damagedStudies: [STUDIES[0]!.study] });
    const position = await getSweepPosition(TEST_TENANT);
    expect(position).toMatchObject({ cycle: 2, counts: { studies: 0, verified: 0 }, lastCycle: { cycle: 1, counts: { studies: 3, verified: 2, mismatched: 1, missing: 0 } } });
    expect(position!.cursor).toBeUndefined();

    // Reported, never repaired: the archive still holds the damaged bytes.
    const stored = await s3For(runtime).send(new GetObjectCommand({ Bucket: runtime.names.bucket('archive'), Key: keyOf(0) }));
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(tampered)).toBe(true);

    // The next cycle starts again from the first study.
    expect(await sweep(2)).toMatchObject({ cycle: 2, cycleCompleted: false, counts: { studies: 2, verified: 2 }, damagedStudies: [] });
  });

  it('as the scheduled workflow: finishes the cycle, publishes the damage and sets the alarm, with no UID in its state', async () => {
    // Not run at the local runtime's start (it re-reads every object): started as its schedule would.
    const started = await fetch(`${runtime.url}/_local/schedules`, { method: 'POST', body: JSON.stringify({ stateMachine: 'fixitySweep', wait: true }) });
    expect(started.status).toBe(200);
    const { executionArn } = (await started.json()) as { executionArn: string };
    const execution = runtime.stepFunctions.describeExecution(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    for (const { study } of STUDIES) expect(JSON.stringify(execution)).not.toContain(study);
    const output = JSON.parse(execution.output!) as { reports: { tenant: string; run: { counts: Record<string, number>; cycleCompleted: boolean; damagedStudies: string[] } }[]; metrics: Record<string, number> };
    // The rest of cycle 2 (the oldest study, damaged): the default budget is far above what is left.
    expect(output.reports).toEqual([expect.objectContaining({ tenant: TEST_TENANT, run: expect.objectContaining({ cycleCompleted: true, counts: expect.objectContaining({ studies: 1, mismatched: 1 }) }) })]);
    expect(output.reports[0]!.run.damagedStudies).toEqual([expect.stringMatching(/^ref:/)]);
    expect(output.metrics).toMatchObject({ [FIXITY_METRIC.damaged]: 1, [FIXITY_METRIC.failedTenants]: 0 });
    expect(runtime.metrics.datapoints(FIXITY_METRICS_NAMESPACE, FIXITY_METRIC.damaged).at(-1)?.value).toBe(1);
    expect(runtime.metrics.alarmState('FixityDamage')).toBe('ALARM');
    expect(runtime.metrics.alarmState('FixitySweepIncomplete')).toBe('OK');
    // Only a scheduled workflow can be started so.
    expect((await fetch(`${runtime.url}/_local/schedules`, { method: 'POST', body: JSON.stringify({ stateMachine: 'deletion' }) })).status).toBe(400);
  });
});
