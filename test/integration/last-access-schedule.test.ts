/**
 * Last-access rules on a schedule (docs/lifecycle.md, "Last access on a schedule"): each indexed
 * study gets a check item due when a `lastAccess` rule could first hold; the re-classification
 * workflow started as its daily schedule starts it (no tenant) Queries the checks due, re-tags
 * the studies the rule now holds for, and puts each study's next check from its last read — on
 * the simulated clock, with no administrator's run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifecyclePolicy } from '#core/lifecycle/policy.ts';
import { policyTags } from '#core/lifecycle/policy-class.ts';
import { dayAfter, lastAccessProbe, withLegacyRule } from '#test/helpers/last-access.ts';
import { stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const READ = { study: '2.25.86001', series: '2.25.86001.1', sop: '2.25.86001.1.1' };
const IDLE = { study: '2.25.86002', series: '2.25.86002.1', sop: '2.25.86002.1.1' };
const DAY = 86_400_000;

describe('Last-access rules on a schedule', () => {
  let runtime: TestRuntime;
  let declared: string | undefined;
  let policy: LifecyclePolicy;
  const files = { read: synthesize('CT_small.dcm', READ), idle: synthesize('CT_small.dcm', IDLE) };
  let ingestedAt: number;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    await runtime.stepFunctions.idle(); // the scheduled runs every start makes
    // The default policy with a last-access rule: a study nobody has read for 400 days goes to long retention.
    declared = process.env.LIFECYCLE_POLICY;
    const base = JSON.parse(declared!) as LifecyclePolicy;
    policy = withLegacyRule(base);
    process.env.LIFECYCLE_POLICY = JSON.stringify(policy);
    ingestedAt = runtime.clock.now().getTime();
    expect((await stow(runtime.url, [files.read, files.idle])).status).toBe(200);
  });
  afterAll(async () => {
    process.env.LIFECYCLE_POLICY = declared;
    await runtime?.dispose();
  });

  const { advance, checks, tagsOf: classOf, scheduledRun } = lastAccessProbe(() => runtime);

  it('checks each study when its last access can first make the rule hold, and re-tags the study nobody read', { timeout: 120_000 }, async () => {
    // Indexed: one check per study, due 400 days after ingest (the day starting after it).
    const due = dayAfter(ingestedAt + 400 * DAY);
    expect((await checks()).sort()).toEqual([`${due}#${READ.study}`, `${due}#${IDLE.study}`]);
    expect(await classOf(IDLE, files.idle)).toMatchObject(policyTags({ policyClass: 'clinical', policyVersion: policy.version }));

    // A run before anything is due finds nothing to do (and reads no study).
    expect(await scheduledRun('scheduled-day-1')).toMatchObject({ studies: 0, examined: 0, retagged: 0 });

    // One study is read at day 200; the clock reaches day 401.
    await advance('+200d');
    const readAt = runtime.clock.now().getTime();
    const wado = await fetch(`${runtime.url}/dicom-web/studies/${READ.study}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
    expect(wado.status).toBe(200);
    await advance('+201d');

    expect(await scheduledRun('scheduled-day-401')).toMatchObject({ studies: 2, examined: 2, retagged: 1, unchanged: 1 });
    // The study nobody read is in the last-access rule's class, with the policy version that put it there.
    expect(await classOf(IDLE, files.idle)).toMatchObject(policyTags({ policyClass: 'legacy', policyVersion: policy.version }));
    expect(await classOf(READ, files.read)).toMatchObject(policyTags({ policyClass: 'clinical', policyVersion: policy.version }));
    // The read study's next check counts from its read; the other has no threshold left.
    const next = dayAfter(readAt + 400 * DAY);
    expect(await checks()).toEqual([`${next}#${READ.study}`]);

    // Run again the same day: nothing is due.
    expect(await scheduledRun('scheduled-day-401-again')).toMatchObject({ studies: 0 });

    // 400 days after its read, the read study follows.
    await advance('+200d');
    expect(await scheduledRun('scheduled-day-601')).toMatchObject({ studies: 1, retagged: 1 });
    expect(await classOf(READ, files.read)).toMatchObject(policyTags({ policyClass: 'legacy', policyVersion: policy.version }));
    expect(await checks()).toEqual([]);
  });
});
