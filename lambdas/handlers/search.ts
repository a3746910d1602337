/**
 * QIDO-RS: GET /dicom-web/{studies|series|instances} and their study/series-scoped forms
 * (PS3.18 10.6). Always 200 with a JSON array ([] when nothing matches); unknown attributes
 * and truncation are reported in Warning headers; consumed read units in X-Strata-Read-Units.
 */
import { acceptsJson, parseAccept } from '#core/dicomweb/accept.ts';
import { NotAcceptableError } from '#core/errors.ts';
import { parseQidoQuery } from '#core/qido/query-params.ts';
import type { Level } from '#core/qido/query-plan.ts';
import { TENANT_PARAMETER, tenantOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import { patientIdOfQuery } from '#core/audit/subjects.ts';
import { warningHeader } from '#core/dicomweb/warning-header.ts';
import { header, pathParameter, publicBaseUrl, queryOf } from '#middleware/http-request.ts';
import { search } from '#services/search.ts';
import { stringifyDicomJson } from '#core/dicom/dicom-json-text.ts';

export const handler = httpHandler(async (event) => {
  const pairs = queryOf(event);
  noteAuditSubject(event, { patientId: patientIdOfQuery(pairs) });
  const accept = pairs.find(([name]) => name.toLowerCase() === 'accept')?.[1] ?? header(event, 'accept');
  if (!acceptsJson(parseAccept(accept))) {
    throw new NotAcceptableError('search results are available as application/dicom+json');
  }
  const resource = event.resource;
  const level: Level = resource.endsWith('/studies') ? 'study' : resource.endsWith('/series') ? 'series' : 'instance';
  const result = await search({
    tenant: tenantOf(event),
    level,
    scope: { study: pathParameter(event, 'study'), series: pathParameter(event, 'series') },
    // `tenant` is the administrator's choice of tenant (tenantOf), not a matching key.
    query: parseQidoQuery(pairs.filter(([name]) => name !== TENANT_PARAMETER)),
    serviceUrl: `${publicBaseUrl(event)}/dicom-web`,
  });
  const headers: Record<string, string> = {
    'Content-Type': 'application/dicom+json',
    'Cache-Control': 'private, no-cache',
    'X-Strata-Read-Units': String(result.readUnits),
    'X-Strata-Query-Plan': result.plan,
  };
  const warning = warningHeader(result.warnings);
  if (warning) headers.Warning = warning;
  return { statusCode: 200, headers, body: stringifyDicomJson(result.matches) };
}, { audit: 'query' });
