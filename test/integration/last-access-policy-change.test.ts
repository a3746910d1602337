/**
 * A last-access rule added by a policy change (docs/lifecycle.md, "Last access on a schedule"):
 * studies stored while the policy had no `lastAccess` rule have no check item; the tenant-wide
 * re-classification an administrator runs after the change puts each study's next check, so the
 * daily run later moves the study nobody read — on the simulated clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifecyclePolicy } from '#core/lifecycle/policy.ts';
import { dayAfter, lastAccessProbe, withLegacyRule } from '#test/helpers/last-access.ts';
import { stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

const READ = { study: '2.25.86101', series: '2.25.86101.1', sop: '2.25.86101.1.1' };
const IDLE = { study: '2.25.86102', series: '2.25.86102.1', sop: '2.25.86102.1.1' };
const DAY = 86_400_000;

describe('A last-access rule added by a policy change', () => {
  let runtime: TestRuntime;
  let declared: string | undefined;
  const files = { read: synthesize('CT_small.dcm', READ), idle: synthesize('CT_small.dcm', IDLE) };
  let ingestedAt: number;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    await runtime.stepFunctions.idle(); // the scheduled runs every start makes
    declared = process.env.LIFECYCLE_POLICY;
    ingestedAt = runtime.clock.now().getTime();
    // Stored under the shipped policy, which has no last-access rule.
    expect((JSON.parse(declared!) as LifecyclePolicy).rules.some((rule) => rule.match.lastAccess)).toBe(false);
    expect((await stow(runtime.url, [files.read, files.idle])).status).toBe(200);
  });
  afterAll(async () => {
    process.env.LIFECYCLE_POLICY = declared;
    await runtime?.dispose();
  });

  const { advance, checks, tagsOf, finished, scheduledRun } = lastAccessProbe(() => runtime);
  const classOf = async (ids: typeof READ, file: Buffer) => (await tagsOf(ids, file))['strata-policy-class'];

  it('the tenant-wide re-classification after the change puts each study\'s check, and the daily run moves the unread study', { timeout: 120_000 }, async () => {
    expect(await checks()).toEqual([]);

    // The administrator adds a rule: a study nobody has read for 400 days goes to long retention; then re-evaluates the tenant.
    const base = JSON.parse(declared!) as LifecyclePolicy;
    const changed = withLegacyRule(base);
    process.env.LIFECYCLE_POLICY = JSON.stringify(changed);
    const started = await fetch(`${runtime.url}/admin/reclassifications`, { method: 'POST', body: JSON.stringify({ all: true }) });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    expect(await finished(id)).toMatchObject({ studies: 2, examined: 2 });
    const due = dayAfter(ingestedAt + 400 * DAY);
    expect(await checks()).toEqual([`${due}#${READ.study}`, `${due}#${IDLE.study}`].sort());

    // One study is read at day 200; at day 401 the daily run moves the other.
    await advance('+200d');
    const wado = await fetch(`${runtime.url}/dicom-web/studies/${READ.study}`, { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
    expect(wado.status).toBe(200);
    await wado.arrayBuffer();
    await advance('+201d');
    expect(await scheduledRun('scheduled-day-401')).toMatchObject({ studies: 2, retagged: 1, unchanged: 1 });
    expect(await classOf(IDLE, files.idle)).toBe('legacy');
    expect(await classOf(READ, files.read)).toBe(base.rules.at(-1)!.id);
  });
});
