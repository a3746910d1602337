/** STOW-RS: POST /dicom-web/studies[/{study}] (PS3.18 10.5): the exchange the Lambda handler and the data plane share. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { StreamedPart } from '#core/dicomweb/multipart-stream.ts';
import type { Part } from '#core/dicomweb/multipart.ts';
import { parseMediaType } from '#core/dicomweb/media-type.ts';
import { UnsupportedMediaTypeError } from '#core/errors.ts';
import { clock } from '#adapters/clock.ts';
import { tenantOf } from '#middleware/caller.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import { warningHeader } from '#core/dicomweb/warning-header.ts';
import { header, pathParameter, publicBaseUrl } from '#middleware/http-request.ts';
import { storeInstances, type StoreContext } from '#services/store-instances.ts';
import { stringifyDicomJson } from '#core/dicom/dicom-json-text.ts';
import { toNativeDicomModel } from '#core/dicom/dicom-xml.ts';
import { parseAccept } from '#core/dicomweb/accept.ts';
import { startPriorPrefetch } from '#services/restores/prior-prefetch.ts';
import { logger } from '#lambdas/observability/logger.ts';

/**
 * Prior prefetch of the stored studies (issue 12): an optimisation, so a failure to start it is
 * logged and the STOW answered as it happened (the instances are stored either way).
 */
async function prefetchPriorsOf(tenant: string, studies: string[]): Promise<void> {
  try {
    await startPriorPrefetch(tenant, studies);
  } catch (error) {
    logger.warn('prior prefetch not started', { error: (error as Error).name });
  }
}

/**
 * The STOW-RS exchange, whatever carries the body: `parts` reads it (the Lambda event's buffered
 * body, or the data plane's request stream) once the boundary is known.
 */
export async function stow(
  event: APIGatewayProxyEvent,
  parts: (boundary: string) => Promise<Part[]> | AsyncIterable<StreamedPart>,
  options: Pick<StoreContext, 'spoolBytes'> = {},
): Promise<APIGatewayProxyResult> {
  const contentType = parseMediaType(header(event, 'content-type') ?? '');
  if (contentType.type !== 'multipart/related') {
    throw new UnsupportedMediaTypeError(`STOW-RS takes multipart/related; type="application/dicom", not "${contentType.type || 'no Content-Type'}"`);
  }
  const partType = parseMediaType(contentType.parameters.type ?? 'application/dicom').type;
  if (partType !== 'application/dicom') {
    throw new UnsupportedMediaTypeError(`only type="application/dicom" parts are accepted (got "${partType}"); send Part 10 files`);
  }
  const tenant = tenantOf(event);
  const result = await storeInstances(await parts(contentType.parameters.boundary ?? ''), {
    tenant,
    studyInUrl: pathParameter(event, 'study'),
    serviceUrl: `${publicBaseUrl(event)}/dicom-web`,
    now: clock.now(),
    ...options,
  });
  for (const subject of result.subjects) noteAuditSubject(event, subject);
  if (result.status !== 409) await prefetchPriorsOf(tenant, result.subjects.flatMap((s) => s.studies).filter((s): s is string => s !== undefined));
  // PS3.18 10.5.3: the response is DICOM JSON unless the client prefers the XML model.
  const preferred = parseAccept(header(event, 'accept')).find((range) => ['application/dicom+json', 'application/json', 'application/dicom+xml', '*/*'].includes(range.type));
  const xml = preferred?.type === 'application/dicom+xml';
  const headers: Record<string, string> = { 'Content-Type': xml ? 'application/dicom+xml' : 'application/dicom+json' };
  const warning = warningHeader(result.warnings);
  if (warning) headers.Warning = warning;
  return { statusCode: result.status, headers, body: xml ? toNativeDicomModel(result.body) : stringifyDicomJson(result.body) };
}
