/**
 * The S3 fidelity layer: an HTTP proxy in front of s3rver that adds what S3 does and s3rver
 * does not (infra/local/README.md lists each behaviour):
 * - decodes `aws-chunked` uploads and verifies their checksums (s3rver would store the framing);
 * - keeps a SHA-256 per object and returns it with `x-amz-checksum-mode: ENABLED`;
 * - gates GET of GLACIER / DEEP_ARCHIVE objects behind RestoreObject (403 InvalidObjectState);
 * - simulates restores with tier delays on the local clock, and the `x-amz-restore` header;
 * - versioning (versions.ts, version-bytes.ts): version ids, delete markers, ListObjectVersions,
 *   reads and deletes by versionId;
 * - Object Lock legal holds and retention per version, refusing the deletion of a locked version;
 * - checks presigned URLs' signatures and expiry on the local clock (presigned-auth.ts);
 * - changes a storage class in place (CopyObject onto itself), which s3rver refuses;
 * - emits the EventBridge events S3 would send for the bucket;
 * - lists and aborts multipart uploads in progress (multipart-uploads.ts), which s3rver cannot.
 * Everything else is passed to s3rver unchanged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { ChunkedEncodingError, checksumMismatches, decodeAwsChunked } from './aws-chunked.ts';
import { KeyedLock } from './keyed-lock.ts';
import { lockHeaders, lockReason } from './object-lock.ts';
import { getLegalHold, getRetention, putLegalHold, putRetention } from './object-lock-handlers.ts';
import type { ObjectVersion } from './object-state.ts';
import { bypass, encodePath, etagOf, parseTarget, resolveVersion, storageClassOf, updateVersion, type FidelityProxyOptions, type ProxyContext, type Target } from './proxy-context.ts';
import { announceRestores, restoreObject } from './restore-handlers.ts';
import { isReadable, restoreHeader } from './restore-policy.ts';
import { s3Event, type S3DetailType, type S3EventDetail } from './s3-events.ts';
import { LIFECYCLE_TARGET_CLASSES, STORAGE_CLASSES } from './storage-classes.ts';
import { readAtMost } from '#infra/local/read-body.ts';
import { escapeXml, readAll, relay, sendUpstream, sendXml, sendXmlError } from './upstream.ts';
import { listObjectsV2 } from './list-objects-v2.ts';
import { presignedRefusal } from './presigned-auth.ts';
import { internalHeaders } from './internal-headers.ts';
import { getObjectTagging, InvalidTagError, putObjectTagging, tagsFromHeader } from './object-tags.ts';
import { getBucketLifecycle } from './lifecycle-engine.ts';
import { upstreamStorageClass } from './storage-classes.ts';
import { deleteObject, deleteObjects } from './delete-handlers.ts';
import { listObjectVersions } from './list-object-versions.ts';
import { isShadowBucket, VersionBytes } from './version-bytes.ts';
import { addressedVersion, currentObject, isObject, newVersionId, NULL_VERSION, pushVersion } from './versions.ts';
import { Replicator } from './replication.ts';
import { MultipartUploads, noSuchUpload } from './multipart-uploads.ts';



/** A failure to inject into reads or writes of matching keys (tests of retries and degraded storage). */
export interface InjectedFault {
  bucket: string;
  keyPrefix: string;
  status: number;
  code: string;
  /** GETs (`read`, the default), object PUTs and copies (`write`) or DeleteObject of one key (`delete`). */
  operation?: 'read' | 'write' | 'delete';
  /** How many requests fail before the fault clears itself; absent = until removed. */
  remaining?: number;
}

/** What a write hands back: stored (the new version's fields, and how to answer) or not (the answer as is). */
type WriteOutcome =
  | { stored: false; answer: () => Promise<void> | void }
  | { stored: true; version: Omit<ObjectVersion, 'versionId'>; answer: (headers: Record<string, string | undefined>) => Promise<void> | void };

/** Faults are checked on every GET: a bounded list keeps that cheap. */
export const MAX_FAULTS = 100;

export class S3FidelityProxy implements ProxyContext {
  private readonly keyLocks = new KeyedLock();
  private faults: InjectedFault[] = [];
  /** Multipart uploads in progress: listed and aborted here, their tags given to their object on completion. */
  private readonly uploads: MultipartUploads;
  readonly bytes: VersionBytes;

  /** S3 replication of the declared source bucket into the DR copy (replication.ts); absent: none. */
  readonly replicator: Replicator | undefined;

  constructor(readonly options: FidelityProxyOptions) {
    this.bytes = new VersionBytes(options.upstream, options.state);
    this.uploads = new MultipartUploads(options.s3rverDirectory, options.clock);
    this.replicator = options.replication ? new Replicator(this, options.replication.rule, options.replication.stateDirectory) : undefined;
  }

  /** A replica written by the replicator: the source version's id, bytes and metadata, no client request. */
  writeReplica(target: Target, versionId: string, version: Omit<ObjectVersion, 'versionId'>, body: Buffer, headers: Record<string, string>): Promise<void> {
    return this.writeVersion(target, async () => {
      const path = `/${target.bucket}/${encodePath(target.key)}`;
      const storageClass = upstreamStorageClass(version.storageClass ?? 'STANDARD');
      const upstream = await sendUpstream(this.options.upstream, { method: 'PUT', path, headers: { ...internalHeaders(), ...headers, 'x-amz-storage-class': storageClass }, body });
      const payload = await readAll(upstream);
      if (upstream.statusCode !== 200) throw new Error(`writing the replica of ${target.key} failed: ${payload.toString('utf8').slice(0, 200)}`);
      return { stored: true, version: { ...version, etag: etagOf(upstream) }, answer: () => {} };
    }, { replicaOf: versionId });
  }

  serialized<T>(target: Target, task: () => Promise<T>): Promise<T> {
    return this.keyLocks.run(`${target.bucket}/${target.key}`, task);
  }

  versioned(bucket: string): boolean {
    return this.options.versionedBuckets.has(bucket);
  }

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
    // A presigned URL must be S3's: its signature, and its life on the local clock.
    const refusal = presignedRefusal(req, this.options.secretAccessKey, this.options.clock.now());
    if (refusal) {
      req.resume();
      return sendXmlError(res, refusal.status, refusal.code, refusal.message, refusal.fields);
    }
    const storageClass = req.headers['x-amz-storage-class'];
    if (storageClass !== undefined && !STORAGE_CLASSES.has(String(storageClass))) {
      req.resume();
      return sendXmlError(res, 400, 'InvalidStorageClass', 'The storage class you specified is not valid');
    }
    // The shadow buckets behind versioning are the proxy's own (version-bytes.ts).
    if (isShadowBucket(target.bucket)) {
      req.resume();
      return sendXmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: target.bucket });
    }
    if (!target.key) {
      if (method === 'POST' && q.has('delete')) return deleteObjects(this, req, res, target);
      if (method === 'GET' && q.has('versions')) return listObjectVersions(this.options.upstream, this.options.state, res, target.bucket, q);
      if (method === 'GET' && q.get('list-type') === '2') return listObjectsV2(this.options.upstream, req, res, `/${target.bucket}`, q);
      if (method === 'GET' && q.has('lifecycle')) return getBucketLifecycle(res, target, this.options.lifecycleRules.get(target.bucket));
      if (method === 'GET' && q.has('uploads')) return this.uploads.list(res, target.bucket, q);
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
    if (method === 'POST' && q.has('uploads')) return this.createMultipartUpload(req, res);
    if (q.has('tagging') || q.has('acl') || q.has('uploads')) return this.forward(req, res);
    if (q.has('uploadId') && method !== 'GET' && !this.uploads.isOpen(target.bucket, q.get('uploadId')!)) {
      // s3rver would recreate an aborted upload's folder for a late part; S3 refuses the upload as gone.
      req.resume();
      return noSuchUpload(res, q.get('uploadId')!);
    }
    if (method === 'PUT' && q.has('uploadId')) return req.headers['x-amz-copy-source'] ? this.uploadPartCopy(req, res) : this.putPart(req, res);
    if (method === 'POST' && q.has('uploadId')) return this.completeMultipart(req, res, target);
    if (method === 'PUT') {
      const fault = this.takeFault(target, 'write');
      if (fault) {
        req.resume();
        return sendXmlError(res, fault.status, fault.code, 'Injected fault (local runtime)');
      }
      return req.headers['x-amz-copy-source'] ? this.copyObject(req, res, target) : this.putObject(req, res, target);
    }
    if (method === 'GET' || method === 'HEAD') return this.readObject(req, res, target);
    if (method === 'DELETE' && !q.has('uploadId')) {
      const fault = this.takeFault(target, 'delete');
      if (fault) {
        req.resume();
        return sendXmlError(res, fault.status, fault.code, 'Injected fault (local runtime)');
      }
      return deleteObject(this, req, res, target);
    }
    if (method === 'DELETE') {
      req.resume();
      return this.uploads.abort(res, target.bucket, q.get('uploadId')!);
    }
    return this.forward(req, res);
  }

  // ---- writes -------------------------------------------------------------------------

  private async putObject(req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
    const body = await this.readVerifiedBody(req, res, true);
    if (!body) return;
    // Conditional writes (If-None-Match: *) must be atomic per key, as in S3.
    return this.serialized(target, () => this.storeObject(req, res, target, body));
  }

  private async storeObject(req: IncomingMessage, res: ServerResponse, target: Target, body: { bytes: Buffer; headers: IncomingMessage['headers']; sha256: string }) {
    if (req.headers['if-none-match'] === '*' && (await this.exists(target))) {
      return sendXmlError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });
    }
    const now = this.options.clock.now();
    let tags: Record<string, string> | undefined;
    try {
      tags = tagsFromHeader(req);
    } catch (error) {
      if (error instanceof InvalidTagError) return sendXmlError(res, 400, 'InvalidTag', error.message);
      throw error;
    }
    const lock = lockFromHeaders(req);
    return this.writeVersion(target, async () => {
      const upstream = await sendUpstream(this.options.upstream, { method: 'PUT', path: req.url!, headers: body.headers, body: body.bytes });
      if (upstream.statusCode !== 200) return { stored: false, answer: () => relay(upstream, res) };
      const sha256 = body.sha256;
      const version = { storageClass: String(req.headers['x-amz-storage-class'] ?? 'STANDARD'), sha256, etag: etagOf(upstream), ...lock, ...creation(now, body.bytes.length, tags) };
      return {
        stored: true,
        version,
        answer: async (headers) => {
          await relay(upstream, res, { 'x-amz-checksum-sha256': req.headers['x-amz-checksum-sha256'] ? sha256 : undefined, ...lockHeaders(version as ObjectVersion), ...headers });
          this.emit('Object Created', target, { size: body.bytes.length, etag: etagOf(upstream), 'version-id': headers['x-amz-version-id'] }, { reason: 'PutObject' });
        },
      };
    }, { req, res });
  }

  /**
   * A write of a new version of `target` (PutObject, CopyObject, CompleteMultipartUpload), on
   * the caller's key lock. Versioned bucket: the current bytes are set aside as a noncurrent
   * version before s3rver overwrites them, the new version goes on top with a fresh id, and the
   * change is journaled until s3rver agrees (version-bytes.ts). Unversioned: the write replaces
   * the `null` version, and is refused while that version is locked.
   */
  private async writeVersion(target: Target, write: () => Promise<WriteOutcome>, from: { req: IncomingMessage; res: ServerResponse } | { replicaOf: string }): Promise<void> {
    const versioned = this.versioned(target.bucket);
    const state = this.options.state.get(target.bucket, target.key);
    const previous = currentObject(state);
    if (!versioned && 'req' in from) {
      const refusal = lockReason(previous, this.options.clock.now(), bypass(from.req));
      if (refusal) {
        from.req.resume();
        return sendXmlError(from.res, 403, 'AccessDenied', `Access Denied because ${refusal}`);
      }
    }
    const journaled = versioned && state.versions.length > 0;
    if (journaled) this.options.state.moves.set(target.bucket, target.key, true);
    if (journaled && previous) await this.bytes.keepAside(target.bucket, target.key, previous);
    const outcome = await write();
    if (outcome.stored) {
      // A replica keeps its source version's id, as S3 replication does.
      const versionId = 'replicaOf' in from ? from.replicaOf : versioned ? newVersionId() : NULL_VERSION;
      this.options.state.update(target.bucket, target.key, (s) => pushVersion(s, { versionId, ...outcome.version }, versioned));
      const marked = this.replicator?.mark(target, versionId);
      this.options.state.setRestorePending(target.bucket, target.key, false);
      await Promise.all([marked, this.options.state.saved(target.bucket, target.key)]);
    }
    if (journaled) {
      await this.bytes.settle(target.bucket, target.key);
      this.options.state.moves.set(target.bucket, target.key, false);
    }
    if (!outcome.stored) return outcome.answer();
    return outcome.answer({ 'x-amz-version-id': versioned ? this.options.state.get(target.bucket, target.key).versions[0]!.versionId : undefined });
  }

  /** CreateMultipartUpload: s3rver ignores x-amz-tagging, so its tags are kept here until the upload completes. */
  private async createMultipartUpload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let tags: Record<string, string> | undefined;
    try {
      tags = tagsFromHeader(req);
    } catch (error) {
      req.resume();
      if (error instanceof InvalidTagError) return sendXmlError(res, 400, 'InvalidTag', error.message);
      throw error;
    }
    const upstream = await sendUpstream(this.options.upstream, { method: 'POST', path: req.url!, headers: req.headers, body: req });
    const payload = await readAll(upstream);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(payload.toString('utf8'))?.[1];
    if (upstream.statusCode === 200 && uploadId) this.uploads.created(uploadId, tags);
    res.writeHead(upstream.statusCode ?? 502, upstream.headers).end(payload);
  }

  private async putPart(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.readVerifiedBody(req, res, false);
    if (!body) return;
    const upstream = await sendUpstream(this.options.upstream, { method: 'PUT', path: req.url!, headers: body.headers, body: body.bytes });
    await relay(upstream, res);
  }

  /**
   * UploadPartCopy (s3rver answers NotImplemented): the source's range — of the version the copy
   * source addresses — becomes the part, as S3 copies it server-side (objects over 5 GB are copied so).
   */
  private async uploadPartCopy(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    const [sourcePathText, sourceQuery = ''] = String(req.headers['x-amz-copy-source']).split('?');
    const source = parseTarget(decodeURIComponent(sourcePathText!).replace(/^\/?/, '/'));
    const sourceState = this.options.state.get(source.bucket, source.key);
    const sourceVersionId = new URLSearchParams(sourceQuery).get('versionId');
    let sourcePath = `/${source.bucket}/${encodePath(source.key)}`;
    if (sourceState.versions.length || sourceVersionId !== null) {
      const addressed = addressedVersion(sourceState, sourceVersionId);
      if ('missing' in addressed || addressed.version.deleteMarker) return sendXmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', { Key: source.key });
      sourcePath = this.bytes.pathOf(source.bucket, source.key, addressed.version);
    }
    const range = req.headers['x-amz-copy-source-range'];
    const read = await sendUpstream(this.options.upstream, { method: 'GET', path: sourcePath, headers: { ...internalHeaders(), ...(range ? { range: String(range) } : {}) } });
    const bytes = await readAll(read);
    if (read.statusCode !== 200 && read.statusCode !== 206) return sendXmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', { Key: source.key });
    const upstream = await sendUpstream(this.options.upstream, { method: 'PUT', path: req.url!, headers: { ...internalHeaders(), 'content-length': String(bytes.length) }, body: bytes });
    const payload = await readAll(upstream);
    if (upstream.statusCode !== 200) return void res.writeHead(upstream.statusCode ?? 502, upstream.headers).end(payload);
    sendXml(res, 200, `<CopyPartResult><ETag>${escapeXml(`"${etagOf(upstream) ?? ''}"`)}</ETag><LastModified>${this.options.clock.now().toISOString()}</LastModified></CopyPartResult>`);
  }

  private async completeMultipart(req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
    return this.serialized(target, async () => {
      // Conditional completion (If-None-Match: *), as S3 offers it: never over an existing object.
      if (req.headers['if-none-match'] === '*' && (await this.exists(target))) {
        req.resume();
        return sendXmlError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });
      }
      return this.writeVersion(target, async () => {
        const upstream = await sendUpstream(this.options.upstream, { method: 'POST', path: req.url!, headers: req.headers, body: req });
        const payload = await readAll(upstream);
        const answer = (headers: Record<string, string | undefined> = {}) => {
          const extra = Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
          res.writeHead(upstream.statusCode ?? 502, { ...upstream.headers, ...extra });
          res.end(payload);
        };
        if (upstream.statusCode !== 200 || payload.includes('<Error>')) return { stored: false, answer };
        const head = await this.head(target);
        const size = Number(head?.headers['content-length'] ?? 0);
        // Multipart checksums are composite in S3 (not simulated); the object gets the tags its upload was created with.
        const uploadId = target.query.get('uploadId') ?? '';
        const tags = this.uploads.tagsOf(uploadId);
        this.uploads.completed(uploadId);
        const version = { storageClass: head ? storageClassOf(head) : 'STANDARD', etag: etagOf(head), ...creation(this.options.clock.now(), size, tags) };
        return {
          stored: true,
          version,
          answer: (headers) => {
            answer(headers);
            this.emit('Object Created', target, { size, etag: etagOf(head), 'version-id': headers['x-amz-version-id'] }, { reason: 'CompleteMultipartUpload' });
          },
        };
      }, { req, res });
    });
  }

  private async copyObject(req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
    const [sourcePathText, sourceQuery = ''] = String(req.headers['x-amz-copy-source']).split('?');
    const source = parseTarget(decodeURIComponent(sourcePathText!).replace(/^\/?/, '/'));
    const sourceVersionId = new URLSearchParams(sourceQuery).get('versionId');
    const now = this.options.clock.now();
    const sourceState = this.options.state.get(source.bucket, source.key);
    let sourceVersion: ObjectVersion | undefined;
    if (sourceState.versions.length || sourceVersionId !== null) {
      const addressed = addressedVersion(sourceState, sourceVersionId);
      if ('missing' in addressed || addressed.version.deleteMarker) {
        return sendXmlError(res, 404, 'missing' in addressed ? addressed.missing : 'NoSuchKey', 'The specified key does not exist.', { Key: source.key });
      }
      sourceVersion = addressed.version;
    }
    const sourcePath = sourceVersion ? this.bytes.pathOf(source.bucket, source.key, sourceVersion) : `/${source.bucket}/${encodePath(source.key)}`;
    const sourceHead = await this.headPath(sourcePath);
    if (!sourceHead) return sendXmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', { Key: source.key });
    const sourceClass = sourceVersion?.storageClass ?? storageClassOf(sourceHead);
    if (!isReadable(sourceClass, sourceVersion ?? {}, now)) {
      return sendXmlError(res, 403, 'InvalidObjectState', 'The source object of the COPY action is not in the active tier and is only stored in Amazon S3 Glacier.', { StorageClass: sourceClass ?? '' });
    }
    const inPlace = source.bucket === target.bucket && source.key === target.key && sourcePath === `/${target.bucket}/${encodePath(target.key)}`;
    const headers: IncomingMessage['headers'] = { ...req.headers, 'x-amz-copy-source': sourcePath };
    if (inPlace && headers['x-amz-metadata-directive'] !== 'REPLACE') {
      // S3 allows an in-place copy that only changes the storage class; s3rver only accepts
      // REPLACE, so carry the object's own metadata across as a REPLACE.
      headers['x-amz-metadata-directive'] = 'REPLACE';
      Object.assign(headers, objectMetadataHeaders(sourceHead));
    }
    const replaceTags = String(req.headers['x-amz-tagging-directive']).toUpperCase() === 'REPLACE';
    const size = Number(sourceHead.headers['content-length'] ?? 0);
    return this.serialized(target, () =>
      this.writeVersion(target, async () => {
        const upstream = await sendUpstream(this.options.upstream, { method: 'PUT', path: req.url!.split('?')[0]!, headers });
        const payload = await readAll(upstream);
        const answer = (extra: Record<string, string | undefined> = {}) => {
          const defined = Object.fromEntries(Object.entries(extra).filter((entry): entry is [string, string] => entry[1] !== undefined));
          res.writeHead(upstream.statusCode ?? 502, { ...upstream.headers, ...defined }).end(payload);
        };
        if (upstream.statusCode !== 200 || payload.includes('<Error>')) return { stored: false, answer };
        const written = await this.head(target);
        // A copy is a new object (S3 lifecycle counts its days afresh); tags follow the tagging directive.
        const version = {
          storageClass: String(headers['x-amz-storage-class'] ?? (inPlace ? sourceClass : 'STANDARD')),
          ...(sourceVersion?.sha256 ? { sha256: sourceVersion.sha256 } : {}),
          etag: etagOf(written),
          ...(inPlace ? {} : lockFromHeaders(req)),
          ...creation(now, size, replaceTags ? tagsFromHeader(req) : sourceVersion?.tags),
        };
        return {
          stored: true,
          version,
          answer: (extra) => {
            answer({ ...extra, 'x-amz-copy-source-version-id': sourceVersion && this.versioned(source.bucket) ? sourceVersion.versionId : undefined });
            this.emit('Object Created', target, { size, 'version-id': extra['x-amz-version-id'] }, { reason: 'CopyObject' });
          },
        };
      }, { req, res }),
    );
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
    return this.serialized(target, () => this.transitionCurrent(target, head, storageClass));
  }

  private async transitionCurrent(target: Target, head: IncomingMessage, storageClass: string): Promise<'transitioned'> {
    const { bucket, key } = target;
    const headers: Record<string, string> = {
      ...internalHeaders(),
      'x-amz-copy-source': `/${bucket}/${encodePath(key)}`,
      'x-amz-metadata-directive': 'REPLACE',
      'x-amz-storage-class': upstreamStorageClass(storageClass),
    };
    Object.assign(headers, objectMetadataHeaders(head));
    // A transition changes the current version's class in place; it makes no new version.
    const versionId = currentObject(this.options.state.get(bucket, key))?.versionId ?? NULL_VERSION;
    const upstream = await sendUpstream(this.options.upstream, { method: 'PUT', path: `/${bucket}/${encodePath(key)}`, headers });
    const payload = await readAll(upstream);
    if (upstream.statusCode !== 200 || payload.includes('<Error>')) throw new Error(`transition failed: ${payload.toString()}`);
    updateVersion(this, target, versionId, (v) => {
      v.storageClass = storageClass;
      delete v.restore;
    });
    this.options.state.setRestorePending(bucket, key, false);
    await this.options.state.saved(bucket, key);
    this.emit('Object Storage Class Changed', target, { size: Number(head.headers['content-length'] ?? 0), etag: etagOf(head), 'version-id': versionId }, {
      'destination-storage-class': storageClass,
    });
    return 'transitioned';
  }

  // ---- reads and restores -------------------------------------------------------------

  /** Announces restores that completed or expired on the local clock; called by a ticker. */
  announceRestores(): void {
    announceRestores(this);
  }

  /** Makes GETs (or PUTs) of keys under `keyPrefix` fail with `status` (e.g. 503 SlowDown) until cleared; false when the list is full. */
  injectFault(fault: InjectedFault): boolean {
    if (this.faults.length >= MAX_FAULTS) return false;
    this.faults.push({ ...fault });
    return true;
  }

  clearFaults(): void {
    this.faults = [];
  }

  private takeFault(target: Target, operation: 'read' | 'write' | 'delete' = 'read'): InjectedFault | undefined {
    const fault = this.faults.find((f) => f.bucket === target.bucket && target.key.startsWith(f.keyPrefix) && (f.operation ?? 'read') === operation);
    if (fault?.remaining !== undefined && --fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }

  private async readObject(req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
    const fault = req.method === 'GET' ? this.takeFault(target) : undefined;
    if (fault) return sendXmlError(res, fault.status, fault.code, 'Injected fault (local runtime)');
    const now = this.options.clock.now();
    const state = this.options.state.get(target.bucket, target.key);
    // Objects with a fidelity state are read as the version addressed; others (stored before it) pass through.
    const version = state.versions.length || target.query.has('versionId') ? await resolveVersion(this, res, target) : undefined;
    if ((state.versions.length || target.query.has('versionId')) && !version) return;
    const query = new URLSearchParams(target.query);
    query.delete('versionId');
    const path = `${version ? this.bytes.pathOf(target.bucket, target.key, version) : `/${target.bucket}/${encodePath(target.key)}`}${query.size ? `?${query}` : ''}`;
    if (req.method === 'GET') {
      const head = version?.storageClass ? undefined : await this.headPath(path);
      const storageClass = version?.storageClass ?? (head ? storageClassOf(head) : undefined);
      if (storageClass && !isReadable(storageClass, version ?? {}, now)) {
        return sendXmlError(res, 403, 'InvalidObjectState', "The operation is not valid for the object's storage class", {
          StorageClass: storageClass ?? '',
        });
      }
    }
    const upstream = await sendUpstream(this.options.upstream, { method: req.method!, path, headers: req.headers });
    const wantsChecksum = String(req.headers['x-amz-checksum-mode'] ?? '').toUpperCase() === 'ENABLED';
    const wholeObject = !req.headers.range && !target.query.has('partNumber');
    const found = (upstream.statusCode ?? 500) < 300;
    await relay(upstream, res, {
      'x-amz-version-id': found && this.versioned(target.bucket) ? (version?.versionId ?? NULL_VERSION) : undefined,
      'x-amz-restore': found && version ? restoreHeader(version, now) : undefined,
      // The class S3 reports, which s3rver may not know (GLACIER_IR; storage-classes.ts).
      'x-amz-storage-class': found && version?.storageClass && version.storageClass !== 'STANDARD' ? version.storageClass : undefined,
      ...(found ? lockHeaders(version) : {}),
      'x-amz-replication-status': found && version?.replication ? version.replication.status : undefined,
      // LastModified on the local clock (s3rver's is the wall clock): the creation lifecycle rules count from.
      'last-modified': found && version?.createdAt ? new Date(version.createdAt).toUTCString() : undefined,
      // S3 returns full-object checksums only for whole-object reads.
      'x-amz-checksum-sha256': found && wantsChecksum && wholeObject ? version?.sha256 : undefined,
      'x-amz-checksum-type': found && wantsChecksum && wholeObject && version?.sha256 ? 'FULL_OBJECT' : undefined,
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
    const versions = this.options.state.get(target.bucket, target.key).versions;
    return versions.length ? isObject(versions[0]) : (await this.head(target)) !== undefined;
  }

  /** HEAD of the key's current bytes in s3rver. */
  head(target: Target): Promise<IncomingMessage | undefined> {
    return this.headPath(`/${target.bucket}/${encodePath(target.key)}`);
  }

  private async headPath(path: string): Promise<IncomingMessage | undefined> {
    const upstream = await sendUpstream(this.options.upstream, { method: 'HEAD', path, headers: internalHeaders() });
    upstream.resume();
    return upstream.statusCode === 200 ? upstream : undefined;
  }

  /**
   * Reads a PUT body, decoding aws-chunked and verifying every checksum sent in headers or
   * trailers, as S3 does. Answers 400 itself and returns undefined when the body is bad.
   * `wholeObject`: a PutObject, whose SHA-256 is kept in its state (a part's is not).
   */
  private async readVerifiedBody(req: IncomingMessage, res: ServerResponse, wholeObject: true): Promise<{ bytes: Buffer; headers: IncomingMessage['headers']; sha256: string } | undefined>;
  private async readVerifiedBody(req: IncomingMessage, res: ServerResponse, wholeObject: false): Promise<{ bytes: Buffer; headers: IncomingMessage['headers'] } | undefined>;
  private async readVerifiedBody(req: IncomingMessage, res: ServerResponse, wholeObject: boolean) {
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
    // An object's SHA-256 (kept in its state) is the one its sent checksum is verified against: one pass.
    const sha256 = wholeObject ? createHash('sha256').update(bytes).digest('base64') : undefined;
    const bad = checksumMismatches(checksums, bytes, sha256 ? { sha256 } : {});
    if (bad.length) {
      sendXmlError(res, 400, 'BadDigest', `The ${bad.join(', ')} you specified did not match the calculated checksum.`);
      return undefined;
    }
    return { bytes, headers, sha256 };
  }

  emit(type: S3DetailType, target: Target, object: { size?: number; etag?: string | undefined; 'version-id'?: string | undefined }, extra: Partial<S3EventDetail>): void {
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
function creation(now: Date, size: number, tags: Record<string, string> | undefined): Pick<ObjectVersion, 'createdAt' | 'size' | 'tags'> {
  return { createdAt: now.toISOString(), size, ...(tags ? { tags } : {}) };
}

/** The Object Lock a PutObject or CopyObject sets on the version it writes. */
function lockFromHeaders(req: IncomingMessage): Pick<ObjectVersion, 'legalHold' | 'retention'> {
  const lock: Pick<ObjectVersion, 'legalHold' | 'retention'> = {};
  const hold = req.headers['x-amz-object-lock-legal-hold'];
  if (hold === 'ON' || hold === 'OFF') lock.legalHold = hold;
  const mode = req.headers['x-amz-object-lock-mode'];
  const until = req.headers['x-amz-object-lock-retain-until-date'];
  if ((mode === 'GOVERNANCE' || mode === 'COMPLIANCE') && typeof until === 'string') {
    lock.retention = { mode, retainUntil: new Date(until).toISOString() };
  }
  return lock;
}
