/**
 * WADO-RS: GET /dicom-web/studies/{study}[/series/{series}[/instances/{instance}]][/metadata|/frames/…|/bulkdata/…]
 * (PS3.18 10.4), streamed so a study never sits in memory: the exchange the Lambda handler
 * (retrieve.ts) and the data plane share.
 */
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { acceptsJson, instanceTransferSyntax, parseAccept } from '#core/dicomweb/accept.ts';
import { contentEtag, matchesIfNoneMatch } from '#core/dicomweb/etag.ts';
import { encodeMultipart, newBoundary } from '#core/dicomweb/multipart.ts';
import { stringifyDicomJson } from '#core/dicom/dicom-json-text.ts';
import { NotAcceptableError } from '#core/errors.ts';
import { resourceUrl } from '#core/dicomweb/resource-url.ts';
import { subjectsOf } from '#core/audit/subjects.ts';
import { callerOf, resourceScopeOf } from '#middleware/caller.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { StreamedResult } from '#middleware/http-handler.ts';
import { header, pathParameter, publicBaseUrl, queryOf } from '#middleware/http-request.ts';
import { instancesMetadata } from '#services/instance-metadata.ts';
import { findInstances, instancesStream } from '#services/retrieve-instances.ts';
import { parseFrameList } from '#services/retrieve-frames.ts';
import { bulkDataOf, framesOf } from '#services/retrieve-parts.ts';
import { requireReadable } from '#services/restores/cold-read.ts';

/** The WADO-RS exchange: the Lambda handler's, and the data plane's for whole instances. */
export async function retrieve(event: APIGatewayProxyEvent): Promise<StreamedResult> {
  const scope = resourceScopeOf(event);
  const serviceUrl = `${publicBaseUrl(event)}/dicom-web`;
  const acceptParameter = queryOf(event).find(([name]) => name === 'accept')?.[1];
  const ranges = parseAccept(acceptParameter ?? header(event, 'accept'));
  const records = await findInstances(scope);
  for (const subject of subjectsOf(records)) noteAuditSubject(event, subject);
  // The stored versions identify the content: the same versions in the same form, the same bytes.
  const etag = contentEtag([event.resource, acceptParameter ?? header(event, 'accept') ?? '', event.pathParameters?.frames ?? '', event.pathParameters?.path ?? '', ...records.map((r) => r.sha256)]);
  if (matchesIfNoneMatch(header(event, 'if-none-match'), etag)) {
    return { statusCode: 304, headers: { ETag: etag, 'Cache-Control': 'private' }, body: '' };
  }

  const partsResource = event.resource.endsWith('/frames/{frames}') ? 'frames' : event.resource.endsWith('/bulkdata/{path+}') ? 'bulkdata' : undefined;
  if (partsResource) {
    await requireReadable(records.slice(0, 1), callerOf(event).clientId);
    const instanceUrl = resourceUrl(serviceUrl, records[0]!.id);
    const parts =
      partsResource === 'frames'
        ? await framesOf(records[0]!, parseFrameList(pathParameter(event, 'frames') ?? ''), ranges, instanceUrl)
        : await bulkDataOf(records[0]!, pathParameter(event, 'path') ?? '', ranges, instanceUrl);
    const boundary = newBoundary();
    const type = parts[0]!.contentType.split(';')[0]!;
    return {
      statusCode: 200,
      headers: { 'Content-Type': `multipart/related; type="${type}"; boundary=${boundary}`, 'Cache-Control': 'private', ETag: etag },
      body: Readable.from([
        encodeMultipart(
          boundary,
          parts.map((part) => ({ headers: { 'Content-Type': part.contentType, 'Content-Location': part.location }, body: part.body })),
        ),
      ]),
    };
  }
  if (event.resource.endsWith('/metadata')) {
    if (!acceptsJson(ranges)) throw new NotAcceptableError('metadata is available as application/dicom+json');
    const json = stringifyDicomJson(await instancesMetadata(records, serviceUrl));
    // API Gateway does not compress streamed responses; CT series metadata runs to megabytes.
    const gzip = /\bgzip\b/.test(header(event, 'accept-encoding') ?? '');
    return {
      statusCode: 200,
      headers: {
        'Content-Type': 'application/dicom+json',
        'Cache-Control': 'private',
        ETag: etag,
        Vary: 'Accept-Encoding',
        ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
      },
      body: gzip ? Readable.from([gzipSync(json)]) : json,
    };
  }
  const transferSyntax = instanceTransferSyntax(ranges);
  if (!transferSyntax) throw new NotAcceptableError('instances are available as multipart/related; type="application/dicom"');
  await requireReadable(records, callerOf(event).clientId);
  const { boundary, body } = await instancesStream(records, transferSyntax, serviceUrl);
  return {
    statusCode: 200,
    headers: {
      'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
      'Cache-Control': 'private',
      ETag: etag,
    },
    body,
  };
}
