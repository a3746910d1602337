/**
 * Starting a re-classification: pin or unpin a study (recorded on the study item first, so the
 * workflow evaluates with the new pins), or re-evaluate every study of the tenant after a policy
 * change. The execution name is derived from the request and the minute, so a retried request
 * starts nothing new.
 */
import { BadRequestError, NotFoundError } from '#core/errors.ts';
import { isUid } from '#core/dicom/uid.ts';
import type { Pin } from '#core/lifecycle/policy.ts';
import { clock } from '#adapters/clock.ts';
import { setStudyPins } from '#adapters/lifecycle/study-lifecycle.ts';
import { startWorkflow } from '#adapters/workflows.ts';
import { opaqueNameOf } from '#adapters/workflows/references.ts';
import { config } from '#lambdas/config.ts';

const PINS: readonly Pin[] = ['research', 'teaching'];
const USAGE = 'send {"study": "<StudyInstanceUID>", "pins": ["research"|"teaching", …]} (an empty list unpins) or {"all": true} after a policy change';

export type ReclassificationRequest = { study: string; pins: Pin[] } | { all: true };

export function parseReclassification(body: unknown): ReclassificationRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError(`the body must be a JSON object: ${USAGE}`);
  const { study, pins, all, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length) throw new BadRequestError(`unknown field "${Object.keys(rest)[0]!.slice(0, 40)}": ${USAGE}`);
  if (all === true && study === undefined && pins === undefined) return { all: true };
  if (typeof study !== 'string' || !isUid(study)) throw new BadRequestError(`study must be a Study Instance UID: ${USAGE}`);
  if (!Array.isArray(pins) || pins.some((p) => !PINS.includes(p as Pin))) throw new BadRequestError(`pins must be a list of ${PINS.join(', ')}`);
  return { study, pins: [...new Set(pins as Pin[])].sort() };
}

export async function startReclassification(tenant: string, request: ReclassificationRequest): Promise<string> {
  if ('study' in request && !(await setStudyPins(tenant, request.study, request.pins))) throw new NotFoundError(`no study ${request.study}`);
  const minute = clock.now().toISOString().slice(0, 16).replace(/[:T-]/g, '');
  const what = 'study' in request ? `${request.study}/${request.pins.join(',')}` : 'all';
  const name = `reclassify-${await opaqueNameOf(tenant, `${tenant}/${what}`)}-${minute}`;
  await startWorkflow(config.reclassifyStateMachineArn(), name, { tenant, ...('study' in request ? { study: request.study } : {}) });
  return name;
}
