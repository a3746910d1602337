/**
 * Re-classification (issue 12): re-evaluates the lifecycle policy for stored instances — after
 * a study is pinned or unpinned, or after a policy change — and re-tags the objects whose policy
 * class changed, so S3's lifecycle rules (which filter on the tag) follow the new class. The
 * workflow (statemachines/reclassify.asl.json) walks pages of studies and maps over each page;
 * each step reports counts, which the workflow sums.
 *
 * S3 lifecycle only moves objects to colder tiers: an object whose new class wants a warmer tier
 * than it is in stays where it is and is counted (`warmerTierWanted`) — bringing it back needs a
 * copy, which is not done here.
 */
import { instanceFacts } from '#core/lifecycle/facts.ts';
import { decide } from '#core/lifecycle/evaluate.ts';
import { POLICY_CLASS_TAG, policyTags } from '#core/lifecycle/policy-class.ts';
import { TIER_ORDER, type Tier } from '#core/lifecycle/policy.ts';
import { clock } from '#adapters/clock.ts';
import { listInstanceRecords } from '#adapters/index-store.ts';
import { objectTags, putObjectTags } from '#adapters/lifecycle/object-tags.ts';
import { studiesPage, studyLifecycleState } from '#adapters/lifecycle/study-lifecycle.ts';
import { config } from '#lambdas/config.ts';

export interface ReclassifyCounts {
  studies: number;
  examined: number;
  retagged: number;
  unchanged: number;
  warmerTierWanted: number;
}

export const zeroCounts = (): ReclassifyCounts => ({ studies: 0, examined: 0, retagged: 0, unchanged: 0, warmerTierWanted: 0 });

/** Studies per page: each page is one Map (25 parallel-capable iterations), far below Step Functions' payload limit. */
export const PAGE_SIZE = 25;
const CONCURRENT_OBJECTS = 16;

export interface PageInput {
  tenant: string;
  /** One study (a pin changed); absent: every study of the tenant (a policy change). */
  study?: string | undefined;
  cursor?: string | undefined;
  totals?: ReclassifyCounts | undefined;
}

/** Workflow step: the next page of studies to re-evaluate. */
export async function nextPage(input: PageInput) {
  const totals = input.totals ?? zeroCounts();
  if (input.study) return { tenant: input.tenant, studies: [input.study], totals, more: false };
  const page = await studiesPage(input.tenant, PAGE_SIZE, input.cursor);
  return { tenant: input.tenant, studies: page.studies, cursor: page.cursor, totals, more: page.cursor !== undefined };
}

/** Workflow step: re-evaluates every instance of one study and re-tags those whose class changed. */
export async function reclassifyStudy(input: { tenant: string; study: string }): Promise<ReclassifyCounts> {
  const policy = config.lifecyclePolicy();
  const now = clock.now();
  const { pins, lastAccessAt } = await studyLifecycleState(input.tenant, input.study);
  const records = await listInstanceRecords(input.tenant, input.study);
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

/** Workflow step: adds a page's counts to the totals. */
export function tally(input: { tenant: string; study?: string; cursor?: string; more: boolean; totals: ReclassifyCounts; results: ReclassifyCounts[] }) {
  const totals = { ...input.totals };
  for (const result of input.results) for (const key of Object.keys(totals) as (keyof ReclassifyCounts)[]) totals[key] += result[key];
  return { tenant: input.tenant, ...(input.study ? { study: input.study } : {}), ...(input.cursor ? { cursor: input.cursor } : {}), more: input.more, totals };
}
