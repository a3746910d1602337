/**
 * Starting a disposition run, and the administrator's answer to its report. An approval is of
 * one report: refused while the run is not waiting, and refused when the report is stale —
 * the policy version changed or a study it would delete came under legal hold since.
 */
import { randomBytes } from 'node:crypto';
import { ConflictError } from '#core/errors.ts';
import type { HoldsPort } from '#core/disposition/holds-port.ts';
import { indexHolds } from '#adapters/disposition/index-holds.ts';
import { dispositionId, examineBefore, staleness } from '#core/disposition/disposition-run.ts';
import { allStudies, createRun, updateRun, type DispositionRun } from '#adapters/disposition/disposition-store.ts';
import { completeTask, failTask } from '#adapters/disposition/task-tokens.ts';
import { startWorkflow } from '#adapters/workflows.ts';
import { config } from '#lambdas/config.ts';
import { runOf } from './evaluate.ts';

export const DEFAULT_CERTIFICATE_RETENTION = '10y';

export async function startDisposition(tenant: string, requestedBy: string, now: Date): Promise<DispositionRun> {
  const policy = config.lifecyclePolicy();
  if (!policy.retention) throw new ConflictError('the lifecycle policy has no retention rules: nothing can be eligible for disposition');
  const run: DispositionRun = {
    tenant,
    id: dispositionId(now, randomBytes(3).toString('hex')),
    status: 'EVALUATING',
    policyVersion: policy.version,
    examineBefore: examineBefore(policy.retention, now),
    evaluatedAt: now.toISOString(),
    requestedBy,
    recoveryWindow: policy.retention.recoveryWindow,
    certificateRetention: policy.retention.certificateRetention ?? DEFAULT_CERTIFICATE_RETENTION,
  };
  await createRun(run);
  await startWorkflow(config.dispositionStateMachineArn(), run.id, { tenant, id: run.id });
  return run;
}

/** The workflow's approval step: park the token on the run until an administrator answers. */
export async function awaitApproval(tenant: string, id: string, token: string): Promise<void> {
  if (!(await updateRun(tenant, id, { status: 'AWAITING_APPROVAL', taskToken: token }, ['EVALUATING', 'AWAITING_APPROVAL']))) {
    throw new ConflictError(`disposition ${id} is past its approval`);
  }
}

async function waitingRun(tenant: string, id: string): Promise<DispositionRun & { taskToken: string }> {
  const run = await runOf(tenant, id);
  if (run.status !== 'AWAITING_APPROVAL' || !run.taskToken) throw new ConflictError(`disposition ${id} is ${run.status}, not awaiting approval`);
  return run as DispositionRun & { taskToken: string };
}

export async function approve(tenant: string, id: string, approver: string, now: Date, holds: HoldsPort = indexHolds): Promise<DispositionRun> {
  const run = await waitingRun(tenant, id);
  const eligible = (await allStudies(tenant, id)).filter((s) => s.state === 'eligible').map((s) => s.study);
  const held = await holds.holdsOn(tenant, eligible);
  const stale = staleness(run, { policyVersion: config.lifecyclePolicy().version, heldStudies: held.size });
  if (stale) throw new ConflictError(stale);
  const approval = { approvedBy: approver, approvedAt: now.toISOString() };
  // The token first: if the workflow no longer waits, nothing is recorded as approved.
  await completeTask(run.taskToken, approval);
  await updateRun(tenant, id, { status: 'APPROVED', ...approval, taskToken: undefined }, ['AWAITING_APPROVAL']);
  return { ...run, status: 'APPROVED', ...approval };
}

export async function reject(tenant: string, id: string, rejecter: string): Promise<DispositionRun> {
  const run = await waitingRun(tenant, id);
  await failTask(run.taskToken, 'DispositionRejected', 'the report was rejected by an administrator');
  await updateRun(tenant, id, { status: 'REJECTED', rejectedBy: rejecter, taskToken: undefined }, ['AWAITING_APPROVAL']);
  return { ...run, status: 'REJECTED', rejectedBy: rejecter };
}
