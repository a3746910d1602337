/**
 * WADO-RS: GET /dicom-web/studies/{study}[/series/{series}[/instances/{instance}]][/metadata]
 * (PS3.18 10.4), with Lambda response streaming so a study never sits in memory.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { acceptsJson, instanceTransferSyntax, parseAccept } from '#core/dicomweb/accept.ts';
import { NotAcceptableError } from '#core/errors.ts';
import { config } from '#lambdas/config.ts';
import { streamingHttpHandler } from '#middleware/http-handler.ts';
import { header, pathParameter, publicBaseUrl, queryOf } from '#middleware/http-request.ts';
import { findInstances, instancesStream } from '#services/retrieve-instances.ts';
import { instanceFrameSource, parseFrameList, rangedFrameSource, renderFrames, type FramePart } from '#services/retrieve-frames.ts';
import { formatOfDataset } from '#core/dicom/frames.ts';
import { readBulkData } from '#services/retrieve-bulkdata.ts';
import { encodeMultipart, newBoundary } from '#core/dicomweb/multipart.ts';
import { readInstanceBytes } from '#adapters/object-store.ts';
import { instancesMetadata } from '#services/instance-metadata.ts';
import { stringifyDicomJson } from '#core/dicom/dicom-json-text.ts';

export const handler = streamingHttpHandler(async (event) => {
  const scope = {
    tenant: config.defaultTenant,
    study: pathParameter(event, 'study')!,
    series: pathParameter(event, 'series'),
    sop: pathParameter(event, 'instance'),
  };
  const serviceUrl = `${publicBaseUrl(event)}/dicom-web`;
  const acceptParameter = queryOf(event).find(([name]) => name === 'accept')?.[1];
  const ranges = parseAccept(acceptParameter ?? header(event, 'accept'));
  const records = await findInstances(scope);
  // The stored versions identify the content: the same versions in the same form, the same bytes.
  const etag = `"${createHash('sha256').update(`${event.resource}|${acceptParameter ?? header(event, 'accept') ?? ''}|${event.pathParameters?.frames ?? ''}|${event.pathParameters?.path ?? ''}|${records.map((r) => r.sha256).join(',')}`).digest('hex').slice(0, 32)}"`;
  const ifNoneMatch = header(event, 'if-none-match');
  if (ifNoneMatch && ifNoneMatch.split(',').map((t) => t.trim().replace(/^W\//, '')).includes(etag)) {
    return { statusCode: 304, headers: { ETag: etag, 'Cache-Control': 'private' }, body: '' };
  }

  const partsResource = event.resource.endsWith('/frames/{frames}') ? 'frames' : event.resource.endsWith('/bulkdata/{path+}') ? 'bulkdata' : undefined;
  if (partsResource) {
    const record = records[0]!;
    const instanceUrl = `${serviceUrl}/studies/${scope.study}/series/${scope.series}/instances/${scope.sop}`;
    let parts: FramePart[];
    let locations: string[];
    if (partsResource === 'frames') {
      const frames = parseFrameList(pathParameter(event, 'frames') ?? '');
      // Positions recorded at ingest make each frame one ranged read; older records read the object.
      const source = record.frameRanges?.length
        ? rangedFrameSource(record.transferSyntaxUID, formatOfDataset(record.instance), record.frameRanges, (start, end) => readInstanceBytes(record.objectKey, { start, end }))
        : await instanceFrameSource(await readInstanceBytes(record.objectKey), ranges);
      parts = await renderFrames(source, frames, ranges);
      locations = frames.map((n) => `${instanceUrl}/frames/${n}`);
    } else {
      const path = pathParameter(event, 'path') ?? '';
      parts = await readBulkData(await readInstanceBytes(record.objectKey), path, ranges);
      locations = parts.map(() => `${instanceUrl}/bulkdata/${path}`);
    }
    const boundary = newBoundary();
    const type = parts[0]!.contentType.split(';')[0]!;
    return {
      statusCode: 200,
      headers: { 'Content-Type': `multipart/related; type="${type}"; boundary=${boundary}`, 'Cache-Control': 'private', ETag: etag },
      body: Readable.from([
        encodeMultipart(
          boundary,
          parts.map((part, i) => ({ headers: { 'Content-Type': part.contentType, 'Content-Location': locations[i]! }, body: part.body })),
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
});
