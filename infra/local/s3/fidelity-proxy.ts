/**
 * The S3 fidelity layer: an HTTP proxy in front of s3rver that adds what S3 does and s3rver
 * does not (infra/local/README.md lists each behaviour):
 * - decodes `aws-chunked` uploads and verifies their checksums (s3rver would store the framing);
 * - keeps a SHA-256 per object and returns it with `x-amz-checksum-mode: ENABLED`;
 * - gates GET of GLACIER / DEEP_ARCHIVE objects behind RestoreObject (403 InvalidObjectState);
 * - simulates restores with tier delays on the local clock, and the `x-amz-restore` header;
 * - Object Lock legal holds and retention, refusing delete and overwrite while locked;
 * - changes a storage class in place (CopyObject onto itself), which s3rver refuses;
 * - emits the EventBridge events S3 would send for the bucket.
 * Everything else is passed to s3rver unchanged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { ChunkedEncodingError, checksumMismatches, decodeAwsChunked } from './aws-chunked.ts';
import { KeyedLock } from './keyed-lock.ts';
import { lockHeaders, lockReason } from './object-lock.ts';
import { getLegalHold, getRetention, putLegalHold, putRetention } from './object-lock-handlers.ts';
import type { ObjectState } from './object-state.ts';
import { bypass, decodeXmlText, encodePath, etagOf, parseTarget, storageClassOf, type FidelityProxyOptions, type ProxyContext, type Target } from './proxy-context.ts';
import { announceRestores, restoreObject } from './restore-handlers.ts';
import { isReadable, restoreHeader } from './restore-policy.ts';
import { s3Event, type S3DetailType, type S3EventDetail } from './s3-events.ts';
import { LIFECYCLE_TARGET_CLASSES, STORAGE_CLASSES } from './storage-classes.ts';
import { readAtMost } from '#infra/local/read-body.ts';
import { escapeXml, readAll, relay, sendUpstream, sendXml, sendXmlError, xmlValue } from './upstream.ts';
import { listObjectsV2 } from './list-objects-v2.ts';
import { listObjectVersions } from './list-object-versions.ts';
import { internalHeaders } from './internal-headers.ts';
import { getObjectTagging, InvalidTagError, putObjectTagging, tagsFromHeader } from './object-tags.ts';
import { getBucketLifecycle } from './lifecycle-engine.ts';
import { upstreamStorageClass } from './storage-classes.ts';



/** A failure to inject into reads of matching keys (tests of retries and degraded storage). */
export interface InjectedFault {
  bucket: string;
  keyPrefix: string;
  status: number;
  code: string;
  /** How many reads fail before the fault clears itself; absent = until removed. */
  remaining?: number;
}

/** DeleteObjects takes at most 1,000 keys (S3 API Reference); 1,000 keys of 1,024 bytes, escaped, fit in 8 MB. */
const MAX_DELETE_KEYS = 1_000;
const MAX_DELETE_REQUEST_BYTES = 8 * 1024 * 1024;

/** Faults are checked on every GET: a bounded list keeps that cheap. */
export const MAX_FAULTS = 100;

export class S3FidelityProxy implements ProxyContext {
  private readonly keyLocks = new KeyedLock();
  private faults: InjectedFault[] = [];

  constructor(readonly options: FidelityProxyOptions) {}

  /** Node `request` listener. Errors become S3-style XML errors, never a dropped socket. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy(error as Error);
      if (error instanceof ChunkedEncodingError) return sendXmlError(res, 400, 'IncompleteBody', error.message);
      sendXmlError(res, 500, 'InternalError', error instanceof Error ? error.message : String(error));
    });
  };

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = parseTarget(req.url ?? '/');
    const method = req.method ?? 'GET';
    const q = target.query;
    const storageClass = req.headers['x-amz-storage-class'];
    if (storageClass !== undefined && !STORAGE_CLASSES.has(String(storageClass))) {
      req.resume();
      return sendXmlError(res, 400, 'InvalidStorageClass', 'The storage class you specified is not valid');
    }
    if (!target.key) {
      if (method === 'POST' && q.has('delete')) return this.deleteObjects(req, res, target);
      if (method === 'GET' && q.get('list-type') === '2') return listObjectsV2(this.options.upstream, req, res, `/${target.bucket}`, q);
      if (method === 'GET' && q.has('versions')) return listObjectVersions(this.options.upstream, req, res, `/${target.bucket}`, q);
      if (method === 'GET' && q.has('lifecycle')) return getBucketLifecycle(res, target, this.options.lifecycleRules.get(target.bucket));
      return this.forward(req, res);
    }
    // Object Lock look-ups are reads too: an injected read fault hits them as it hits GetObject.
    if (method === 'GET' && (q.has('legal-hold') || q.has('retention'))) {
      const fault = this.takeFault(target);
      if (fault) return sendXmlError(res, fault.status, fault.code, 'Injected fault (local runtime)');
    }
    if (q.has('legal-hold')) return method === 'PUT' ? putLegalHold(this, req, res, target) : getLegalHold(this, res, target);
    if (q.has('retention')) return method === 'PUT' ? putRetention(this, req, res, target) : getRetention(this, res, target);
    if (method === 'POST' && q.has('restore')) return restoreObject(this, req, res, target);
    if (q.has('tagging') && (method === 'GET' || method === 'PUT')) return method === 'PUT' ? putObjectTagging(this, req, res, target) : getObjectTagging(this, res, target);
    if (q.has('tagging') || q.has('acl') || q.has('uploads')) return this.forward(req, res);
    if (method === 'PUT' && q.has('uploadId')) return this.putPart(req, res);
    if (method === 'POST' && q.has('uploadId')) return this.completeMultipart(req, res, target);
    if (method === 'PUT') return req.headers['x-amz-copy-source'] ? this.copyObject(req, res, target) : this.putObject(req, res, target);
    if (method === 'GET' || method === 'HEAD') return this.readObject(req, res, target);
    if (method === 'DELETE' && !q.has('uploadId')) return this.deleteObject(req, res, target);
    return this.forward(req, res);
  }

  // ---- writes -------------------------------------------------------------------------

  private async putObject(req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
    const body = await this.readVerifiedBody(req, res);
    if (!body) return;
    // Conditional writes (If-None-Match: *) must be atomic per key, as in S3.
    return this.keyLocks.run(`${target.bucket}/${target.key}`, () => this.storeObject(req, res, target, body));
  }

  private async storeObject(req: IncomingMessage, res: ServerResponse, target: Target, body: { bytes: Buffer; headers: IncomingMessage['headers'] }) {
    if (req.headers['if-none-match'] === '*' && (await this.exists(target))) {
      return sendXmlError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });
    }
    const now = this.options.clock.now();
    const refusal = lockReason(this.options.state.get(target.bucket, target.key), now, bypass(req));
    if (refusal) return sendXmlError(res, 403, 'AccessDenied', `Access Denied because ${refusal}`);
    let tags: Record<string, string> | undefined;
    try {
      tags = tagsFromHeader(req);
    } catch (error) {
      if (error instanceof InvalidTagError) return sendXmlError(res, 400, 'InvalidTag', error.message);
      throw error;
    }

    const upstream = await sendUpstream(this.options.upstream, { method: 'PUT', path: req.url!, headers: body.headers, body: body.bytes });
    if (upstream.statusCode !== 200) return relay(upstream, res);

    const sha256 = createHash('sha256').update(body.bytes).digest('base64');
    const state = this.options.state.update(target.bucket, target.key, (s) => {
      s.exists = true;
      s.storageClass = String(req.headers['x-amz-storage-class'] ?? 'STANDARD');
      s.sha256 = sha256;
      delete s.restore;
      applyLockHeaders(s, req);
      setCreation(s, now, body.bytes.length, tags);
    });
    this.options.state.setRestorePending(target.bucket, target.key, false);
    await this.options.state.saved(target.bucket, target.key);
    await relay(upstream, res, { 'x-amz-checksum-sha256': req.headers['x-amz-checksum-sha256'] ? sha256 : undefined, ...lockHeaders(state) });
    this.emit('Object Created', target, { size: body.bytes.length, etag: etagOf(upstream) }, { reason: 'PutObject' });
  }

  private async putPart(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.readVerifiedBody(req, res);
    if (!body) return;
    const upstream = await sendUpstream(this.options.upstream, { method: 'PUT', path: req.url!, headers: body.headers, body: body.bytes });
    await relay(upstream, res);
  }

  private async completeMultipart(req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
    const refusal = lockReason(this.options.state.get(target.bucket, target.key), this.options.clock.now(), bypass(req));
    if (refusal) return sendXmlError(res, 403, 'AccessDenied', `Access Denied because ${refusal}`);
    const upstream = await sendUpstream(this.options.upstream, { method: 'POST', path: req.url!, headers: req.headers, body: req });
    const payload = await readAll(upstream);
    const completed = upstream.statusCode === 200 && !payload.includes('<Error>');
    const head = completed ? await this.head(target) : undefined;
    if (completed) {
      this.options.state.update(target.bucket, target.key, (s) => {
        s.exists = true;
        s.storageClass = head ? storageClassOf(head) : 'STANDARD';
        delete s.sha256; // multipart checksums are composite in S3; not simulated
        delete s.restore;
        // Tags given to CreateMultipartUpload are not simulated.
        setCreation(s, this.options.clock.now(), Number(head?.headers['content-length'] ?? 0), undefined);
      });
      await this.options.state.saved(target.bucket, target.key);
    }
    res.writeHead(upstream.statusCode ?? 502, upstream.headers);
    res.end(payload);
    if (completed) {
      this.emit('Object Created', target, { size: Number(head?.headers['content-length'] ?? 0), etag: etagOf(head) }, { reason: 'CompleteMultipartUpload' });
    }
  }

  private async copyObject(req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
    const source = parseTarget(decodeURIComponent(String(req.headers['x-amz-copy-source']).split('?')[0]!).replace(/^\/?/, '/'));
    const now = this.options.clock.now();
    const inPlace = source.bucket === target.bucket && source.key === target.key;
    if (!inPlace) {
      const refusal = lockReason(this.options.state.get(target.bucket, target.key), now, bypass(req));
      if (refusal) return sendXmlError(res, 403, 'AccessDenied', `Access Denied because ${refusal}`);
    }
    const sourceHead = await this.head(source);
    if (!sourceHead) return sendXmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', { Key: source.key });
    const sourceClass = storageClassOf(sourceHead);
    if (!isReadable(sourceClass, this.options.state.get(source.bucket, source.key), now)) {
      return sendXmlError(res, 403, 'InvalidObjectState', 'The source object of the COPY action is not in the active tier and is only stored in Amazon S3 Glacier.', { StorageClass: sourceClass ?? '' });
    }
    const headers = { ...req.headers };
    if (inPlace && headers['x-amz-metadata-directive'] !== 'REPLACE') {
      // S3 allows an in-place copy that only changes the storage class; s3rver only accepts
      // REPLACE, so carry the object's own metadata across as a REPLACE.
      headers['x-amz-metadata-directive'] = 'REPLACE';
      Object.assign(headers, objectMetadataHeaders(sourceHead));
    }
    const upstream = await sendUpstream(this.options.upstream, { method: 'PUT', path: req.url!, headers });
    const payload = await readAll(upstream);
    const answer = () => res.writeHead(upstream.statusCode ?? 502, upstream.headers).end(payload);
    if (upstream.statusCode !== 200 || payload.includes('<Error>')) return void answer();
    const sourceState = this.options.state.get(source.bucket, source.key);
    const sourceSha = sourceState.sha256;
    const replaceTags = String(req.headers['x-amz-tagging-directive']).toUpperCase() === 'REPLACE';
    this.options.state.update(target.bucket, target.key, (s) => {
      // A copy is a new object (S3 lifecycle counts its days afresh); tags follow the tagging directive.
      setCreation(s, now, Number(sourceHead.headers['content-length'] ?? 0), replaceTags ? tagsFromHeader(req) : sourceState.tags);
      s.exists = true;
      s.storageClass = String(headers['x-amz-storage-class'] ?? (inPlace ? sourceClass : 'STANDARD'));
      if (sourceSha) s.sha256 = sourceSha;
      else delete s.sha256;
      delete s.restore;
      if (!inPlace) applyLockHeaders(s, req);
    });
    this.options.state.setRestorePending(target.bucket, target.key, false);
    await this.options.state.saved(target.bucket, target.key);
    answer();
    this.emit('Object Created', target, { size: Number(sourceHead.headers['content-length'] ?? 0) }, { reason: 'CopyObject' });
  }

  /**
   * A lifecycle transition, as S3's lifecycle engine performs it: the class changes in place
   * and "Object Storage Class Changed" is emitted. Called by the local lifecycle simulation
   * and the /_local/s3/transition admin route, never by handlers (they cannot do this in AWS).
   */
  async transition(bucket: string, key: string, storageClass: string): Promise<'transitioned' | 'no-such-key'> {
    if (!LIFECYCLE_TARGET_CLASSES.has(storageClass)) throw new RangeError(`a lifecycle rule cannot move an object to ${storageClass}`);
    const target: Target = { bucket, key, query: new URLSearchParams() };
    const head = await this.head(target);
    if (!head) return 'no-such-key';
    const headers: Record<string, string> = {
      ...internalHeaders(),
      'x-amz-copy-source': `/${bucket}/${encodePath(key)}`,
      'x-amz-metadata-directive': 'REPLACE',
      'x-amz-storage-class': upstreamStorageClass(storageClass),
    };
    Object.assign(headers, objectMetadataHeaders(head));
    const upstream = await sendUpstream(this.options.upstream, { method: 'PUT', path: `/${bucket}/${encodePath(key)}`, headers });
    const payload = await readAll(upstream);
    if (upstream.statusCode !== 200 || payload.includes('<Error>')) throw new Error(`transition failed: ${payload.toString()}`);
    this.options.state.update(bucket, key, (s) => {
      s.storageClass = storageClass;
      delete s.restore;
    });
    this.options.state.setRestorePending(bucket, key, false);
    await this.options.state.saved(bucket, key);
    this.emit('Object Storage Class Changed', target, { size: Number(head.headers['content-length'] ?? 0), etag: etagOf(head) }, {
      'destination-storage-class': storageClass,
    });
    return 'transitioned';
  }

  private async deleteObject(req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
    const refusal = lockReason(this.options.state.get(target.bucket, target.key), this.options.clock.now(), bypass(req));
    if (refusal) return sendXmlError(res, 403, 'AccessDenied', `Access Denied because ${refusal}`);
    const existed = await this.head(target);
    const upstream = await sendUpstream(this.options.upstream, { method: 'DELETE', path: req.url!, headers: req.headers });
    const deleted = existed && (upstream.statusCode ?? 500) < 300;
    if (deleted) {
      this.options.state.delete(target.bucket, target.key);
      await this.options.state.saved(target.bucket, target.key);
    }
    await relay(upstream, res);
    if (deleted) {
      this.emit('Object Deleted', target, { etag: etagOf(existed) }, { reason: 'DeleteObject', 'deletion-type': 'Permanently Deleted' });
    }
  }

  private async deleteObjects(req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
    const body = await readAtMost(req, MAX_DELETE_REQUEST_BYTES);
    if (!body) return sendXmlError(res, 400, 'MaxMessageLengthExceeded', 'Your request was too big.');
    const xml = body.toString('utf8');
    const quiet = xmlValue(xml, 'Quiet') === 'true';
    const keys = [...xml.matchAll(/<Object>\s*<Key>([^<]*)<\/Key>/g)].map((m) => decodeXmlText(m[1]!));
    if (keys.length > MAX_DELETE_KEYS) {
      return sendXmlError(res, 400, 'MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema (at most ${MAX_DELETE_KEYS} keys)`);
    }
    const results: string[] = [];
    for (const key of keys) {
      const one: Target = { bucket: target.bucket, key, query: new URLSearchParams() };
      const refusal = lockReason(this.options.state.get(target.bucket, key), this.options.clock.now(), bypass(req));
      if (refusal) {
        results.push(`<Error><Key>${escapeXml(key)}</Key><Code>AccessDenied</Code><Message>Access Denied because ${refusal}</Message></Error>`);
        continue;
      }
      const existed = await this.head(one);
      const upstream = await sendUpstream(this.options.upstream, { method: 'DELETE', path: `/${target.bucket}/${encodePath(key)}`, headers: internalHeaders() });
      upstream.resume();
      if (existed) {
        this.options.state.delete(target.bucket, key);
        await this.options.state.saved(target.bucket, key);
        this.emit('Object Deleted', one, { etag: etagOf(existed) }, { reason: 'DeleteObject', 'deletion-type': 'Permanently Deleted' });
      }
      if (!quiet) results.push(`<Deleted><Key>${escapeXml(key)}</Key></Deleted>`);
    }
    sendXml(res, 200, `<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${results.join('')}</DeleteResult>`);
  }

  // ---- reads and restores -------------------------------------------------------------

  /** Announces restores that completed or expired on the local clock; called by a ticker. */
  announceRestores(): void {
    announceRestores(this);
  }

  /** Makes GETs of keys under `keyPrefix` fail with `status` (e.g. 503 SlowDown) until cleared; false when the list is full. */
  injectFault(fault: InjectedFault): boolean {
    if (this.faults.length >= MAX_FAULTS) return false;
    this.faults.push({ ...fault });
    return true;
  }

  clearFaults(): void {
    this.faults = [];
  }

  private takeFault(target: Target): InjectedFault | undefined {
    const fault = this.faults.find((f) => f.bucket === target.bucket && target.key.startsWith(f.keyPrefix));
    if (fault?.remaining !== undefined && --fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }

  private async readObject(req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
    const fault = req.method === 'GET' ? this.takeFault(target) : undefined;
    if (fault) return sendXmlError(res, fault.status, fault.code, 'Injected fault (local runtime)');
    const now = this.options.clock.now();
    const state = this.options.state.get(target.bucket, target.key);
    if (req.method === 'GET') {
      const head = state.storageClass ? undefined : await this.head(target);
      const storageClass = state.storageClass ?? (head ? storageClassOf(head) : undefined);
      if (storageClass && !isReadable(storageClass, state, now)) {
        return sendXmlError(res, 403, 'InvalidObjectState', "The operation is not valid for the object's storage class", {
          StorageClass: storageClass ?? '',
        });
      }
    }
    const upstream = await sendUpstream(this.options.upstream, { method: req.method!, path: req.url!, headers: req.headers });
    const wantsChecksum = String(req.headers['x-amz-checksum-mode'] ?? '').toUpperCase() === 'ENABLED';
    const wholeObject = !req.headers.range && !target.query.has('partNumber');
    const found = (upstream.statusCode ?? 500) < 300;
    await relay(upstream, res, {
      'x-amz-restore': found ? restoreHeader(state, now) : undefined,
      // The class S3 reports, which s3rver may not know (GLACIER_IR; storage-classes.ts).
      'x-amz-storage-class': found && state.storageClass && state.storageClass !== 'STANDARD' ? state.storageClass : undefined,
      ...(found ? lockHeaders(state) : {}),
      // S3 returns full-object checksums only for whole-object reads.
      'x-amz-checksum-sha256': found && wantsChecksum && wholeObject ? state.sha256 : undefined,
      'x-amz-checksum-type': found && wantsChecksum && wholeObject && state.sha256 ? 'FULL_OBJECT' : undefined,
    });
  }

  // ---- helpers ------------------------------------------------------------------------

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const upstream = await sendUpstream(this.options.upstream, { method: req.method!, path: req.url!, headers: req.headers, body: req });
    await relay(upstream, res);
  }

  /**
   * Every object is written through this proxy, which marks it in its state; only objects
   * whose state predates that mark need a HEAD to s3rver.
   */
  private async exists(target: Target): Promise<boolean> {
    if (!this.options.state.has(target.bucket, target.key)) return false;
    const known = this.options.state.get(target.bucket, target.key).exists;
    return known ?? (await this.head(target)) !== undefined;
  }

  async head(target: Target): Promise<import('node:http').IncomingMessage | undefined> {
    const upstream = await sendUpstream(this.options.upstream, {
      method: 'HEAD',
      path: `/${target.bucket}/${encodePath(target.key)}`,
      headers: internalHeaders(),
    });
    upstream.resume();
    return upstream.statusCode === 200 ? upstream : undefined;
  }

  /**
   * Reads a PUT body, decoding aws-chunked and verifying every checksum sent in headers or
   * trailers, as S3 does. Answers 400 itself and returns undefined when the body is bad.
   */
  private async readVerifiedBody(req: IncomingMessage, res: ServerResponse) {
    const raw = await readAll(req);
    const headers = { ...req.headers };
    let bytes = raw;
    const checksums: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) if (name.startsWith('x-amz-checksum-')) checksums[name] = String(value);
    const encodings = String(headers['content-encoding'] ?? '').split(',').map((e) => e.trim()).filter(Boolean);
    if (encodings.includes('aws-chunked') || String(headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-')) {
      const decoded = decodeAwsChunked(raw);
      bytes = decoded.body;
      Object.assign(checksums, decoded.trailers);
      const declared = headers['x-amz-decoded-content-length'];
      if (declared !== undefined && Number(declared) !== bytes.length) {
        sendXmlError(res, 400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header');
        return undefined;
      }
      const rest = encodings.filter((e) => e !== 'aws-chunked');
      if (rest.length) headers['content-encoding'] = rest.join(',');
      else delete headers['content-encoding'];
      delete headers['x-amz-decoded-content-length'];
      delete headers['x-amz-trailer'];
      headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    }
    const bad = checksumMismatches(checksums, bytes);
    if (bad.length) {
      sendXmlError(res, 400, 'BadDigest', `The ${bad.join(', ')} you specified did not match the calculated checksum.`);
      return undefined;
    }
    return { bytes, headers };
  }

  emit(type: S3DetailType, target: Target, object: { size?: number; etag?: string | undefined }, extra: Partial<S3EventDetail>): void {
    if (!this.options.eventBuckets.has(target.bucket)) return;
    this.options.publish(s3Event(type, target.bucket, { key: target.key, ...object }, this.options.clock.now(), this.options.region, extra));
  }
}

/** The user metadata and content type of an object, to carry across a REPLACE copy onto itself. */
function objectMetadataHeaders(head: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(head.headers)) {
    if ((name.startsWith('x-amz-meta-') || name === 'content-type') && typeof value === 'string') headers[name] = value;
  }
  return headers;
}

/** What the lifecycle engine counts from: creation on the local clock, size and tags. */
function setCreation(state: ObjectState, now: Date, size: number, tags: Record<string, string> | undefined): void {
  state.createdAt = now.toISOString();
  state.size = size;
  if (tags) state.tags = tags;
  else delete state.tags;
}

function applyLockHeaders(state: ObjectState, req: IncomingMessage): void {
  const hold = req.headers['x-amz-object-lock-legal-hold'];
  if (hold === 'ON' || hold === 'OFF') state.legalHold = hold;
  const mode = req.headers['x-amz-object-lock-mode'];
  const until = req.headers['x-amz-object-lock-retain-until-date'];
  if ((mode === 'GOVERNANCE' || mode === 'COMPLIANCE') && typeof until === 'string') {
    state.retention = { mode, retainUntil: new Date(until).toISOString() };
  }
}
