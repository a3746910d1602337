/**
 * Evaluate (the dry run): walks the candidate studies page by page, applies the policy version
 * the run was started with at the run's own instant, and keeps one item per study that is
 * eligible or spared by a safety net; then writes the report (JSON and CSV in S3, the summary
 * on the run). Each page is one workflow step; a retried step redoes its page with the same
 * result and counts it once (the cursor moves conditionally).
 */
import { ConflictError, NotFoundError } from '#core/errors.ts';
import { Keys } from '#core/index-keys.ts';
import type { HoldsPort } from '#core/disposition/holds-port.ts';
import { indexHolds } from '#adapters/disposition/index-holds.ts';
import { evaluateRetention } from '#core/disposition/retention.ts';
import { studyFacts } from '#core/disposition/study-facts.ts';
import { monthlyStorageCost, PRICE_SOURCE } from '#core/disposition/monthly-savings.ts';
import { reportCsv, rowOf, summarize, type ReportRow } from '#core/disposition/report.ts';
import type { LifecyclePolicy } from '#core/lifecycle/policy.ts';
import { firstString, type DicomJsonDataset } from '#core/dicom/dicom-json.ts';
import { candidatePage, oneInstanceDataset, storedVersions, type CandidateStudy } from '#adapters/disposition/candidate-studies.ts';
import { advanceCursor, allStudies, getRun, latestRuns, putStudy, updateRun, type DispositionRun } from '#adapters/disposition/disposition-store.ts';

export type { DispositionRun };
import { dispositionObjectKey, putReportObject, readReportObject } from '#adapters/disposition/disposition-objects.ts';
import { config } from '#lambdas/config.ts';

/** Studies per step: each needs a Query of its partition; a page stays well inside a Lambda's minutes. */
export const EVALUATE_PAGE = 100;

export async function runOf(tenant: string, id: string): Promise<DispositionRun> {
  const run = await getRun(tenant, id);
  if (!run) throw new NotFoundError(`no disposition ${id}`);
  return run;
}

/** The policy in force must be the run's: a policy deployed mid-run ends the run rather than mixing versions. */
/** A tenant's latest runs, newest first. */
export const latestRunsOf = (tenant: string, limit: number): Promise<DispositionRun[]> => latestRuns(tenant, limit);

/** A run's written report (JSON or CSV); 404 while it is not written yet. */
export async function reportOf(run: DispositionRun, format: 'json' | 'csv'): Promise<string> {
  const key = format === 'csv' ? run.reportKeys?.csv : run.reportKeys?.json;
  const body = key && (await readReportObject(key));
  if (!body) throw new NotFoundError(`the report of ${run.id} is not written yet (status ${run.status})`);
  return body;
}

export function policyOfRun(run: DispositionRun): LifecyclePolicy {
  const policy = config.lifecyclePolicy();
  if (policy.version !== run.policyVersion) throw new ConflictError(`the lifecycle policy changed during the run (version ${run.policyVersion}, now ${policy.version})`);
  return policy;
}

const usesFacilities = (policy: LifecyclePolicy) => policy.retention?.rules.some((rule) => rule.match.facilities !== undefined) ?? false;

/** The study's retention facts; InstitutionName comes from an instance only when a rule matches on it. */
export async function factsOf(tenant: string, study: CandidateStudy, partition: string, holdIds: readonly string[], policy: LifecyclePolicy) {
  const facts = studyFacts(tenant, study, holdIds);
  if (!usesFacilities(policy)) return facts;
  const instance = await oneInstanceDataset(partition);
  const facility = instance ? firstString(JSON.parse(instance) as DicomJsonDataset, '00080080').trim() : '';
  return { ...facts, facility: facility || undefined };
}

export async function evaluatePage(tenant: string, id: string, holds: HoldsPort = indexHolds): Promise<{ more: boolean }> {
  const run = await runOf(tenant, id);
  if (run.done?.evaluate) return { more: false };
  const policy = policyOfRun(run);
  const at = new Date(run.evaluatedAt);
  const from = run.cursors?.evaluate;
  const page = await candidatePage(tenant, run.examineBefore, from, EVALUATE_PAGE);
  const held = await holds.holdsOn(tenant, page.studies.map((s) => s.study));
  let retained = 0;
  for (const candidate of page.studies) {
    const partition = Keys.study(tenant, candidate.study).pk;
    const facts = await factsOf(tenant, candidate, partition, held.get(candidate.study) ?? [], policy);
    const verdict = evaluateRetention(policy.retention, facts, at);
    if (verdict.outcome === 'retained') {
      retained += 1;
      continue;
    }
    const versions = await storedVersions(partition);
    const tiers: Record<string, number> = {};
    for (const v of versions) tiers[v.tier] = (tiers[v.tier] ?? 0) + v.bytes;
    const row = rowOf(candidate.study, verdict, facts, { instances: versions.filter((v) => v.current).length, tiers, monthlyCost: monthlyStorageCost(versions) })!;
    await putStudy(tenant, id, { ...row, state: row.outcome === 'eligible' ? 'eligible' : 'spared' });
  }
  await advanceCursor(tenant, id, 'evaluate', from, page.cursor, { examined: page.studies.length, retained });
  return { more: page.cursor !== undefined };
}

const rowFields = ({ state: _, keptBecause: __, softDeletedAt: ___, restoredAt: ____, purgedAt: _____, checksums: ______, versions: _______, remaining: ________, ...row }: Awaited<ReturnType<typeof allStudies>>[number]): ReportRow => row;

/** Writes report.json and report.csv and the summary; once (a rerun finds them written). */
export async function writeReport(tenant: string, id: string): Promise<void> {
  const run = await runOf(tenant, id);
  if (run.reportKeys) return;
  const rows = (await allStudies(tenant, id)).map(rowFields);
  const summary = summarize(rows, { policyVersion: run.policyVersion, evaluatedAt: run.evaluatedAt, examined: run.examined ?? 0, retained: run.retained ?? 0, priceSource: PRICE_SOURCE });
  const keys = { json: dispositionObjectKey(tenant, id, 'report.json'), csv: dispositionObjectKey(tenant, id, 'report.csv') };
  await putReportObject(keys.json, JSON.stringify({ id, tenant, policyVersion: run.policyVersion, evaluatedAt: run.evaluatedAt, summary, studies: rows }, null, 1), 'application/json');
  await putReportObject(keys.csv, reportCsv(rows), 'text/csv');
  await updateRun(tenant, id, { summary, reportKeys: keys });
}
