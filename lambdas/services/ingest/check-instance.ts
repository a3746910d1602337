/** Whether a part may be stored: its media type, its parse, its study, its keyed values, its SOP class. */
import type { ParsedInstance } from '#core/dicom/read-instance.ts';
import { isStorableSopClass } from '#core/dicom/sop-classes.ts';
import { Tag } from '#core/dicom/tags.ts';
import { personNameText } from '#core/dicom/dicom-json.ts';
import type { FailedOutcome } from '#core/dicomweb/store-response.ts';
import { FailureReason } from '#core/dicomweb/status-codes.ts';
import { parseMediaType } from '#core/dicomweb/media-type.ts';
import { StrataError } from '#core/errors.ts';
import { oversizedKeyValue } from '#core/index-keys.ts';
import { nameTokens } from '#core/qido/matching.ts';
import { logger } from '#lambdas/observability/logger.ts';
import type { StoreContext } from './store-context.ts';

export function partTypeRefusal(headers: Record<string, string>): FailedOutcome | undefined {
  const partType = headers['content-type'];
  if (partType && parseMediaType(partType).type !== 'application/dicom') {
    return { sopClassUID: '', sopInstanceUID: '', failureReason: FailureReason.CannotUnderstand, detail: 'the part is not application/dicom' };
  }
  return undefined;
}

/** The failure a parse error stands for (its DICOM reason, else 0xC000). */
export function parseRefusal(error: unknown): FailedOutcome {
  const reason = error instanceof StrataError && error.failureReason !== undefined ? error.failureReason : FailureReason.CannotUnderstand;
  // The message may quote UID values from the part: the client gets it, the log the kind of error only.
  logger.info('part refused', { reason, error: (error as Error).name });
  return { sopClassUID: '', sopInstanceUID: '', failureReason: reason, detail: (error as Error).message };
}

/** Why a parsed instance may not be stored, or `undefined`. */
export function instanceRefusal(parsed: ParsedInstance, context: StoreContext): FailedOutcome | undefined {
  const identity = { sopClassUID: parsed.sopClassUID, sopInstanceUID: parsed.sopInstanceUID };
  if (context.studyInUrl && parsed.studyInstanceUID !== context.studyInUrl) {
    return { ...identity, failureReason: FailureReason.StudyInstanceUidMismatch, detail: `its StudyInstanceUID is not the study of the request URL` };
  }
  const oversized = oversizedKeyValue(parsed.dataset, nameTokens(personNameText(parsed.dataset, Tag.PatientName)));
  if (oversized) return { ...identity, failureReason: FailureReason.DataSetDoesNotMatchSopClass, detail: oversized };
  if (!isStorableSopClass(parsed.sopClassUID)) {
    return { ...identity, failureReason: FailureReason.SopClassNotSupported, detail: `SOP Class ${parsed.sopClassUID} is not a storage SOP class` };
  }
  return undefined;
}

export const isThrottling = (error: unknown) =>
  /Throttl|SlowDown|ProvisionedThroughputExceeded|RequestLimitExceeded/.test((error as Error)?.name ?? '');

/** The failure for a storage error: 0xA700 (retry) when throttled, else 0x0110. */
export function storageFailure(parsed: Pick<ParsedInstance, 'sopClassUID' | 'sopInstanceUID'>, error: unknown): FailedOutcome {
  logger.error('object write failed', { error: error as Error });
  return { sopClassUID: parsed.sopClassUID, sopInstanceUID: parsed.sopInstanceUID, failureReason: isThrottling(error) ? FailureReason.OutOfResources : FailureReason.ProcessingFailure };
}
