/**
 * WADO-RS (PS3.18 10.4): what one retrieve request answers — the instances, their metadata, or
 * frames or bulk data of one instance — as a representation the transport (API Gateway's
 * response stream or the data plane) writes out. Everything a retrieve decides lives here: the
 * content's entity tag and a conditional request's 304 (PS3.18 8.10), the media type asked for,
 * cold bytes answered by a restore (services/restores/cold-read.ts), and compression of the
 * metadata, which API Gateway does not compress when it streams.
 */
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { acceptsJson, instanceTransferSyntax, parseAccept } from '#core/dicomweb/accept.ts';
import { contentEtag, matchesIfNoneMatch } from '#core/dicomweb/etag.ts';
import { encodeMultipart, newBoundary } from '#core/dicomweb/multipart.ts';
import { resourceUrl } from '#core/dicomweb/resource-url.ts';
import { stringifyDicomJson } from '#core/dicom/dicom-json-text.ts';
import type { AuditSubject } from '#core/audit/record.ts';
import { subjectsOf } from '#core/audit/subjects.ts';
import { NotAcceptableError } from '#core/errors.ts';
import type { ResourceScope } from '#core/index-keys.ts';
import type { InstanceRecord } from '#adapters/index-store.ts';
import { instancesMetadata } from './instance-metadata.ts';
import { findInstances, instancesStream } from './retrieve-instances.ts';
import { parseFrameList } from './retrieve-frames.ts';
import { bulkDataOf, framesOf } from './retrieve-parts.ts';
import { requireReadable } from '#services/restores/cold-read.ts';
import { noteRestoredReads, noteStudiesRead } from '#services/lifecycle/study-access.ts';

/** Which representation of the scoped resource is asked for. */
export type RetrievedPart =
  | { kind: 'instances' }
  | { kind: 'metadata' }
  | { kind: 'frames'; frames: string }
  | { kind: 'bulkdata'; path: string };

export interface RetrieveRequest {
  scope: ResourceScope;
  part: RetrievedPart;
  /** The `accept` query parameter when given (PS3.18 8.3.3.1), else the Accept header. */
  accept: string | undefined;
  ifNoneMatch: string | undefined;
  acceptsGzip: boolean;
  /** The service's public root (`…/dicom-web`), for the URLs the answer names. */
  serviceUrl: string;
  /** Who asks: a restore started on their behalf says so. */
  requestedBy: string;
  /** Told the patients and studies the answer is about, for the audit trail. */
  onSubject(subject: AuditSubject): void;
  /** Distinguishes representations of the same versions at different URLs in the entity tag. */
  variant: string;
}

export type Representation =
  | { notModified: true; etag: string }
  | { notModified?: false; etag: string; contentType: string; body: Readable | string; gzip?: boolean };

export async function retrieveRepresentation(request: RetrieveRequest): Promise<Representation> {
  const ranges = parseAccept(request.accept);
  const records = await findInstances(request.scope);
  for (const subject of subjectsOf(records)) request.onSubject(subject);
  // The stored versions identify the content: the same versions in the same form, the same bytes.
  const { part } = request;
  const etag = contentEtag([
    request.variant,
    request.accept ?? '',
    part.kind === 'frames' ? part.frames : '',
    part.kind === 'bulkdata' ? part.path : '',
    // A different content-coding is a different representation (RFC 9110 8.8.3): its own strong tag.
    part.kind === 'metadata' && request.acceptsGzip ? 'gzip' : '',
    ...records.map((r) => r.sha256),
  ]);
  if (matchesIfNoneMatch(request.ifNoneMatch, etag)) return { notModified: true, etag };

  switch (part.kind) {
    case 'frames':
    case 'bulkdata':
      return { etag, ...(await partsOf(records[0]!, part, ranges, request)) };
    case 'metadata': {
      if (!acceptsJson(ranges)) throw new NotAcceptableError('metadata is available as application/dicom+json');
      const json = stringifyDicomJson(await instancesMetadata(records, request.serviceUrl));
      // CT series metadata runs to megabytes.
      return request.acceptsGzip
        ? { etag, contentType: 'application/dicom+json', body: Readable.from([gzipSync(json)]), gzip: true }
        : { etag, contentType: 'application/dicom+json', body: json };
    }
    case 'instances': {
      const transferSyntax = instanceTransferSyntax(ranges);
      if (!transferSyntax) throw new NotAcceptableError('instances are available as multipart/related; type="application/dicom"');
      await requireReadable(records, request.requestedBy);
      await Promise.all([noteStudiesRead(records.map((r) => r.id)), noteRestoredReads(records)]);
      const { boundary, body } = await instancesStream(records, transferSyntax, request.serviceUrl);
      return { etag, contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`, body };
    }
  }
}

/** Frames or bulk data of one instance, as one multipart/related body. */
async function partsOf(
  record: InstanceRecord,
  part: Extract<RetrievedPart, { kind: 'frames' | 'bulkdata' }>,
  ranges: ReturnType<typeof parseAccept>,
  request: RetrieveRequest,
): Promise<{ contentType: string; body: Readable }> {
  await requireReadable([record], request.requestedBy);
  await Promise.all([noteStudiesRead([record.id]), noteRestoredReads([record])]);
  const instanceUrl = resourceUrl(request.serviceUrl, record.id);
  const parts =
    part.kind === 'frames' ? await framesOf(record, parseFrameList(part.frames), ranges, instanceUrl) : await bulkDataOf(record, part.path, ranges, instanceUrl);
  const boundary = newBoundary();
  const type = parts[0]!.contentType.split(';')[0]!;
  return {
    contentType: `multipart/related; type="${type}"; boundary=${boundary}`,
    body: Readable.from([
      encodeMultipart(
        boundary,
        parts.map((p) => ({ headers: { 'Content-Type': p.contentType, 'Content-Location': p.location }, body: p.body })),
      ),
    ]),
  };
}
