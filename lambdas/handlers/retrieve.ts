/**
 * WADO-RS: GET /dicom-web/studies/{study}[/series/{series}[/instances/{instance}]][/metadata]
 * (PS3.18 10.4), with Lambda response streaming so a study never sits in memory.
 */
import { acceptsJson, instanceTransferSyntax, parseAccept } from '#core/dicomweb/accept.ts';
import { NotAcceptableError } from '#core/errors.ts';
import { config } from '#lambdas/config.ts';
import { streamingHttpHandler } from '#middleware/http-handler.ts';
import { header, pathParameter, publicBaseUrl, queryOf } from '#middleware/http-request.ts';
import { findInstances, instancesStream } from '#services/retrieve-instances.ts';
import { instanceMetadata } from '#services/instance-metadata.ts';

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

  if (event.resource.endsWith('/metadata')) {
    if (!acceptsJson(ranges)) throw new NotAcceptableError('metadata is available as application/dicom+json');
    return {
      statusCode: 200,
      headers: { 'Content-Type': 'application/dicom+json', 'Cache-Control': 'private' },
      body: JSON.stringify(records.map((record) => instanceMetadata(record, serviceUrl))),
    };
  }
  const transferSyntax = instanceTransferSyntax(ranges);
  if (!transferSyntax) throw new NotAcceptableError('instances are available as multipart/related; type="application/dicom"');
  const { boundary, body } = instancesStream(records, transferSyntax, serviceUrl);
  return {
    statusCode: 200,
    headers: {
      'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
      'Cache-Control': 'private',
    },
    body,
  };
});
