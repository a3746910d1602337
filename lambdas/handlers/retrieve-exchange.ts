/**
 * WADO-RS: GET /dicom-web/studies/{study}[/series/{series}[/instances/{instance}]][/metadata|/frames/…|/bulkdata/…]
 * (PS3.18 10.4), streamed so a study never sits in memory: the exchange the Lambda handler
 * (retrieve.ts) and the data plane share. It reads the request and writes the representation
 * services/retrieve-representation.ts decides.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { callerOf, resourceScopeOf } from '#middleware/caller.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import type { StreamedResult } from '#middleware/http-handler.ts';
import { header, pathParameter, publicBaseUrl, queryOf } from '#middleware/http-request.ts';
import { retrieveRepresentation, type RetrievedPart } from '#services/retrieve-representation.ts';

export async function retrieve(event: APIGatewayProxyEvent): Promise<StreamedResult> {
  const representation = await retrieveRepresentation({
    scope: resourceScopeOf(event),
    part: partOf(event),
    accept: queryOf(event).find(([name]) => name === 'accept')?.[1] ?? header(event, 'accept'),
    ifNoneMatch: header(event, 'if-none-match'),
    acceptsGzip: /\bgzip\b/.test(header(event, 'accept-encoding') ?? ''),
    serviceUrl: `${publicBaseUrl(event)}/dicom-web`,
    requestedBy: callerOf(event).clientId,
    onSubject: (subject) => noteAuditSubject(event, subject),
    variant: event.resource,
  });
  if (representation.notModified) return { statusCode: 304, headers: { ETag: representation.etag, 'Cache-Control': 'private' }, body: '' };
  const isMetadata = event.resource.endsWith('/metadata');
  return {
    statusCode: 200,
    headers: {
      'Content-Type': representation.contentType,
      'Cache-Control': 'private',
      ETag: representation.etag,
      ...(isMetadata ? { Vary: 'Accept-Encoding' } : {}),
      ...(representation.gzip ? { 'Content-Encoding': 'gzip' } : {}),
    },
    body: representation.body,
  };
}

function partOf(event: APIGatewayProxyEvent): RetrievedPart {
  if (event.resource.endsWith('/frames/{frames}')) return { kind: 'frames', frames: pathParameter(event, 'frames') ?? '' };
  if (event.resource.endsWith('/bulkdata/{path+}')) return { kind: 'bulkdata', path: pathParameter(event, 'path') ?? '' };
  return event.resource.endsWith('/metadata') ? { kind: 'metadata' } : { kind: 'instances' };
}
