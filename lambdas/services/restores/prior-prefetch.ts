/**
 * Prior prefetch: when a new study arrives for a patient, the patient's earlier studies that
 * the policy names (`priors`) are restored ahead of the read, so a radiologist opening the new
 * study finds the comparisons ready. STOW starts one workflow per new study (named after it, so
 * further pushes to the study start nothing); the workflow selects the priors, then restores
 * each through the same restore records as WADO (a prior already being restored is joined).
 */
import { firstString } from '#core/dicom/dicom-json.ts';
import { selectPriors, type StudySummary } from '#core/restores/prior-selection.ts';
import { bodyPartsOf, studiesOfPatient, studySummaryOf } from '#adapters/restores/patient-studies.ts';
import { startWorkflow } from '#adapters/workflows.ts';
import { opaqueNameOf } from '#adapters/workflows/references.ts';
import { config } from '#lambdas/config.ts';
import { ensureStudyRestore } from './start-restore.ts';

/** The studies of a patient a prefetch looks at (newest first). */
const CANDIDATE_STUDIES = 100;

/** Starts the prefetch of priors for each stored study (no-op when the policy names no priors). */
export async function startPriorPrefetch(tenant: string, studies: readonly string[]): Promise<void> {
  if (!config.lifecyclePolicy().priors) return;
  for (const study of studies) {
    const name = `prefetch-${await opaqueNameOf(tenant, `${tenant}/${study}`, 32)}`;
    try {
      await startWorkflow(config.priorPrefetchStateMachineArn(), name, { tenant, study });
    } catch (error) {
      // This study's prefetch already ran (AWS refuses a finished execution's name): nothing new to do.
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    }
  }
}

/** Workflow step: the priors of `study` the policy names. */
export async function selectStudyPriors(input: { tenant: string; study: string }): Promise<{ tenant: string; study: string; priors: string[] }> {
  const policy = config.lifecyclePolicy().priors;
  const current = policy && (await studySummaryOf(input.tenant, input.study, policy.sameBodyPart === true));
  if (!policy || !current || !current.patientId) return { ...input, priors: [] };
  const candidates: StudySummary[] = [];
  for (const candidate of await studiesOfPatient(input.tenant, current.patientId, CANDIDATE_STUDIES)) {
    if (candidate.study === input.study) continue;
    candidates.push({
      study: candidate.study,
      studyDate: firstString(candidate.dicom, '00080020'),
      modalities: candidate.modalities,
      bodyParts: policy.sameBodyPart ? await bodyPartsOf(input.tenant, candidate.study) : [],
    });
  }
  return { ...input, priors: selectPriors(current, candidates, policy) };
}

/** Workflow step: restore one prior (nothing when none of it is archived). */
export async function restorePrior(input: { tenant: string; prior: string }) {
  const { record, started } = await ensureStudyRestore(input.tenant, input.prior, { reason: 'prefetch', tier: config.lifecyclePolicy().priors?.tier });
  return { study: input.prior, status: record ? record.status : 'ONLINE', started };
}
