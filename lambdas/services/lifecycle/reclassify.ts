/**
 * Re-classification (issue 12): re-evaluates the lifecycle policy for stored instances — after
 * a study is pinned or unpinned, or after a policy change — and re-tags the objects whose policy
 * class changed, so S3's lifecycle rules (which filter on the tag) follow the new class. The
 * workflow (statemachines/reclassify.asl.json) walks pages of studies and maps over each page;
 * each step reports counts, which the workflow sums.
 *
 * S3 lifecycle only moves objects to colder tiers: an object whose new class wants a warmer tier
 * than it is in stays where it is and is counted (`warmerTierWanted`), unless its rule's `rewarm`
 * copies it back (adapters/lifecycle/copy-back.ts: copy, index, delete — resumable).
 *
 * Every study re-evaluated puts its next last-access check (so a tenant-wide run after a policy
 * change brings a new last-access rule to the studies already stored). The same workflow, started
 * on its schedule (no tenant in the input), is the last-access run: its pages are the studies
 * whose check is due (services/lifecycle/last-access-checks.ts), tenant after tenant, and a page's
 * checks are deleted when the next page is asked for — after the Map handled them, so a run that
 * fails as a whole leaves them for the next. A study whose step fails after its retries is caught
 * by the workflow, counted (`failed`), and given a retry check; the rest of its page goes on.
 */
import { instanceFacts } from '#core/lifecycle/facts.ts';
import { decide } from '#core/lifecycle/evaluate.ts';
import { POLICY_CLASS_TAG, policyTags } from '#core/lifecycle/policy-class.ts';
import { TIER_ORDER, type Tier } from '#core/lifecycle/policy.ts';
import { clock } from '#adapters/clock.ts';
import { listInstanceRecords } from '#adapters/index-store.ts';
import { objectTags, putObjectTags } from '#adapters/lifecycle/object-tags.ts';
import { studiesPage, studyLifecycleState } from '#adapters/lifecycle/study-lifecycle.ts';
import { deleteLastAccessChecks, dueLastAccessChecks, putLastAccessChecks } from '#adapters/lifecycle/last-access-checks.ts';
import { dayOf, retryDay, studyOfDueKey } from '#core/lifecycle/last-access.ts';
import { rewarmTarget } from '#core/lifecycle/rewarm.ts';
import { isLocked } from '#adapters/object-store.ts';
import { copyToWarmerClass, currentStorageClass, finishCopyBack, REWARMED_FROM_TAG } from '#adapters/lifecycle/copy-back.ts';
import { applyTierChange } from '#adapters/restores/instance-tier.ts';
import { config } from '#lambdas/config.ts';
import { tenantsToMaintain } from '#services/maintenance/tenants-to-maintain.ts';
import { logger } from '#lambdas/observability/logger.ts';
import { scheduleNextCheck } from './last-access-checks.ts';

export interface ReclassifyCounts {
  studies: number;
  examined: number;
  retagged: number;
  unchanged: number;
  warmerTierWanted: number;
  /** Archived objects read from their restored copy and copied back to their rule's `rewarm` class. */
  rewarmed: number;
  /** Studies whose step still failed after its retries: the others go on (the last-access run checks them again later). */
  failed: number;
}

export const zeroCounts = (): ReclassifyCounts => ({ studies: 0, examined: 0, retagged: 0, unchanged: 0, warmerTierWanted: 0, rewarmed: 0, failed: 0 });

/** What the workflow's Catch makes of a study whose step failed (statemachines/reclassify.asl.json, StudyFailed). */
export interface StudyFailure {
  failedStudy: string;
  error: string;
}

/** A due check of the page being handled: its sort key, and how many checks of its study failed before it. */
export interface PageCheck {
  sk: string;
  attempts?: number | undefined;
}

/** Studies per page: each page is one Map (25 parallel-capable iterations), far below Step Functions' payload limit. */
export const PAGE_SIZE = 25;
const CONCURRENT_OBJECTS = 16;

export interface PageInput {
  /** The tenant of an administrator's run; absent (a scheduled start): the last-access run over every tenant. */
  tenant?: string | undefined;
  /** One study (a pin changed); absent: every study of the tenant (a policy change). */
  study?: string | undefined;
  cursor?: string | undefined;
  totals?: ReclassifyCounts | undefined;
  /** The last-access run: its tenants still to do, the day it works through, and the checks of the page just handled. */
  due?: boolean | undefined;
  tenants?: string[] | undefined;
  dueThrough?: string | undefined;
  checks?: PageCheck[] | undefined;
  /** The studies of the page handled whose step failed (from the tally). */
  failures?: { study: string; error: string }[] | undefined;
}

/** Workflow step: the next page of studies to re-evaluate. `due` is always in the answer: the Map passes it on. */
export async function nextPage(input: PageInput) {
  const totals = input.totals ?? zeroCounts();
  if (input.due || typeof input.tenant !== 'string') return nextDuePage(input, totals);
  if (input.study) return { tenant: input.tenant, studies: [input.study], totals, more: false, due: false };
  const page = await studiesPage(input.tenant, PAGE_SIZE, input.cursor);
  return { tenant: input.tenant, studies: page.studies, cursor: page.cursor, totals, more: page.cursor !== undefined, due: false };
}

/** The last-access run's next page: the checks due through today, one tenant at a time (a Query each, no scan). */
async function nextDuePage(input: PageInput, totals: ReclassifyCounts) {
  const dueThrough = input.dueThrough ?? dayOf(clock.now());
  if (input.tenant && input.checks?.length) await consumePage(input.tenant, dueThrough, input.checks, input.failures ?? []);
  const tenants = input.tenants ?? (await tenantsToMaintain(undefined));
  for (let i = 0; i < tenants.length; i++) {
    const checks = await dueLastAccessChecks(tenants[i]!, dueThrough, PAGE_SIZE);
    if (checks.length) {
      const studies = [...new Set(checks.map((check) => check.study))];
      const page: PageCheck[] = checks.map(({ sk, attempts }) => (attempts ? { sk, attempts } : { sk }));
      return { tenant: tenants[i]!, tenants: tenants.slice(i), studies, checks: page, dueThrough, totals, more: true, due: true };
    }
  }
  return { tenant: '', tenants: [], studies: [], checks: [], dueThrough, totals, more: false, due: true };
}

/**
 * After a page of the last-access run: each study that failed gets a retry check (a backoff from
 * the checks it failed before, bounded: core/lifecycle/last-access.ts `retryDay`) holding the
 * error, then the page's checks are deleted — the retries first, so a crash in between leaves a
 * check to do twice, never a study without one. The others' next checks were put by their step.
 */
async function consumePage(tenant: string, dueThrough: string, checks: readonly PageCheck[], failures: readonly { study: string; error: string }[]) {
  const retries = [...new Map(failures.map((failure) => [failure.study, failure])).values()].map(({ study, error }) => {
    const before = Math.max(0, ...checks.filter((check) => studyOfDueKey(check.sk) === study).map((check) => check.attempts ?? 0));
    return { tenant, study, error, attempts: before + 1, day: retryDay(dueThrough, before + 1) };
  });
  await putLastAccessChecks(retries);
  for (const { attempts, day, error } of retries) logger.warn('last-access run: a study failed; checked again later', { tenant, error, attempts, retryOn: day });
  await deleteLastAccessChecks(tenant, checks.map((check) => check.sk));
}

/**
 * Workflow step: re-evaluates every instance of one study and re-tags those whose class changed,
 * after putting the study's next last-access check (when the policy has a last-access rule).
 */
export async function reclassifyStudy(input: { tenant: string; study: string; due?: boolean | undefined }): Promise<ReclassifyCounts> {
  const policy = config.lifecyclePolicy();
  const now = clock.now();
  const { pins, lastAccessAt } = await studyLifecycleState(input.tenant, input.study);
  const records = await listInstanceRecords(input.tenant, input.study);
  // Every re-evaluation puts the study's next last-access check — not only the last-access run's:
  // a tenant-wide run after a policy change that adds a `lastAccess` rule is what brings that rule
  // to the studies stored before it (STOW puts checks only while the policy has such a rule).
  if (records.length) await scheduleNextCheck(input.tenant, input.study, { lastAccessAt, ingestedAts: records.map((r) => r.ingestedAt) }, now);
  const counts = { ...zeroCounts(), studies: 1 };
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENT_OBJECTS, records.length) }, async () => {
      while (next < records.length) {
        const record = records[next++]!;
        const facts = { ...instanceFacts({ ...record.study, ...record.series, ...record.instance }, { tenant: input.tenant, sopClass: record.sopClassUID, ingestedAt: record.ingestedAt }), pins, lastAccessAt };
        const decision = decide(policy, facts, now);
        counts.examined += 1;
        const tags = await objectTags(record.objectKey);
        // A copy back stopped after its copy (a crash, a failed delete): the index takes the copy's class, then the archived version goes.
        const interrupted = tags[REWARMED_FROM_TAG];
        if (interrupted !== undefined) {
          const storageClass = await currentStorageClass(record.objectKey);
          if (storageClass !== (record.storageClass || 'STANDARD')) await applyTierChange(record.id, record.sha256, { storageClass, at: now.toISOString() });
          await finishCopyBack(record.objectKey, interrupted, tags);
          counts.rewarmed += 1;
          continue;
        }
        // Copy back (docs/lifecycle.md): an archived object read from its restored copy, whose rule names a warmer class.
        // Copy, index, then delete the archived version: whatever step a crash stops, the index never names a class S3 no longer has for long.
        const warmer = rewarmTarget(policy.rules.find((rule) => rule.id === decision.policyClass)!, record, now);
        if (warmer && !(await isLocked(record.objectKey, now))) {
          const copyTags = { ...tags, ...policyTags(decision) };
          const archived = await copyToWarmerClass(record.objectKey, warmer, copyTags);
          await applyTierChange(record.id, record.sha256, { storageClass: warmer, at: now.toISOString() });
          if (archived) await finishCopyBack(record.objectKey, archived, copyTags);
          counts.rewarmed += 1;
          continue;
        }
        if (tags[POLICY_CLASS_TAG] === decision.policyClass) {
          counts.unchanged += 1;
          continue;
        }
        await putObjectTags(record.objectKey, { ...tags, ...policyTags(decision) });
        counts.retagged += 1;
        if (TIER_ORDER.indexOf(decision.tier) < TIER_ORDER.indexOf(record.storageClass as Tier)) counts.warmerTierWanted += 1;
      }
    }),
  );
  return counts;
}

/** Workflow step: adds a page's counts to the totals (and carries the last-access run's place on). */
export function tally(input: PageInput & { tenant: string; more: boolean; totals: ReclassifyCounts; results: (ReclassifyCounts | StudyFailure)[] }) {
  const totals = { ...zeroCounts(), ...input.totals };
  const failures: { study: string; error: string }[] = [];
  for (const result of input.results) {
    if ('failedStudy' in result) {
      totals.failed += 1;
      failures.push({ study: result.failedStudy, error: result.error });
      logger.error('re-classification: a study failed after its retries; the others go on', { tenant: input.tenant, error: result.error, lastAccessRun: input.due === true });
      continue;
    }
    for (const key of Object.keys(totals) as (keyof ReclassifyCounts)[]) totals[key] += result[key] ?? 0;
  }
  const place = input.due ? { due: true, tenants: input.tenants ?? [], dueThrough: input.dueThrough, checks: input.checks ?? [], failures } : {};
  return { tenant: input.tenant, ...(input.study ? { study: input.study } : {}), ...(input.cursor ? { cursor: input.cursor } : {}), more: input.more, totals, ...place };
}
