/** What the S3 fidelity proxy's request handlers share: the target of a request and the proxy's services. */
import type { IncomingMessage } from 'node:http';
import type { Clock } from '#adapters/clock.ts';
import type { ObjectStateStore, ObjectVersion } from './object-state.ts';
import type { VersionBytes } from './version-bytes.ts';
import { sendXmlError } from './upstream.ts';
export { decodeXmlText, encodePath } from './s3-text.ts';
import { addressedVersion, findVersion, NULL_VERSION } from './versions.ts';
import type { CompiledLifecycleRule } from '#infra/lifecycle/compile-rules.ts';
import type { S3DetailType, S3EventDetail, s3Event } from './s3-events.ts';
import type { LocalReplicationRule } from './replication.ts';

export interface Target {
  bucket: string;
  key: string;
  query: URLSearchParams;
}

export interface ProxyContext {
  readonly options: FidelityProxyOptions;
  readonly bytes: VersionBytes;
  /** Runs changes to one key one after another (writes, deletes, lock and tag changes). */
  serialized<T>(target: Target, task: () => Promise<T>): Promise<T>;
  versioned(bucket: string): boolean;
  /** HEAD of the object in s3rver; undefined when it does not exist. */
  head(target: Target): Promise<IncomingMessage | undefined>;
  /** S3 replication (replication.ts): marks a version whose locks or tags changed; absent: no rule. */
  readonly replicator?: { mark(target: Target, versionId: string): Promise<void> } | undefined;
  emit(type: S3DetailType, target: Target, object: { size?: number; etag?: string | undefined; 'version-id'?: string }, extra: Partial<S3EventDetail>): void;
}

export function parseTarget(url: string): Target {
  const parsed = new URL(url, 'http://local');
  const [bucket = '', ...rest] = parsed.pathname.slice(1).split('/');
  return { bucket, key: rest.map((segment) => decodeURIComponent(segment)).join('/'), query: parsed.searchParams };
}

export const bypass = (req: IncomingMessage) => String(req.headers['x-amz-bypass-governance-retention']).toLowerCase() === 'true';
export const storageClassOf = (head: IncomingMessage) => (head.headers['x-amz-storage-class'] as string | undefined) ?? 'STANDARD';
export const etagOf = (response: IncomingMessage | undefined) => (response?.headers.etag as string | undefined)?.replace(/"/g, '');

export interface FidelityProxyOptions {
  upstream: URL;
  /** s3rver's data directory: multipart uploads in progress are read and removed there (multipart-uploads.ts). */
  s3rverDirectory: string;
  state: ObjectStateStore;
  clock: Clock;
  /** The local secret: presigned URLs' signatures are recomputed with it (presigned-auth.ts). */
  secretAccessKey: string;
  region: string;
  /** Physical names of buckets created with Object Lock enabled. */
  objectLockBuckets: ReadonlySet<string>;
  /** Physical names of versioned buckets (every bucket with Object Lock is one, as in S3). */
  versionedBuckets: ReadonlySet<string>;
  /** Physical names of buckets with EventBridge notifications on. */
  eventBuckets: ReadonlySet<string>;
  publish: (event: ReturnType<typeof s3Event>) => void;
  /** Physical bucket name → its lifecycle rules (compiled from the policy, as the CDK bucket's). */
  lifecycleRules: ReadonlyMap<string, readonly CompiledLifecycleRule[]>;
  /** The declared replication rule (physical names, lag on the local clock) and where its pending keys are kept. */
  replication?: { rule: LocalReplicationRule; stateDirectory: string } | undefined;
}

/**
 * The version a request on an object addresses (`?versionId=`, else the current one), or
 * undefined after answering S3's error: 404 NoSuchKey / NoSuchVersion, and 405 with
 * `x-amz-delete-marker` for a delete marker (S3 has no tags, locks or bytes for one). An object
 * s3rver holds without any fidelity state (stored before it kept one) is the `null` version.
 */
export async function resolveVersion(ctx: ProxyContext, res: import('node:http').ServerResponse, target: Target): Promise<ObjectVersion | undefined> {
  const versionId = target.query.get('versionId');
  const state = ctx.options.state.get(target.bucket, target.key);
  if (!state.versions.length && (versionId === null || versionId === NULL_VERSION) && (await ctx.head(target))) return { versionId: NULL_VERSION };
  const addressed = addressedVersion(state, versionId);
  if ('missing' in addressed) {
    const message = addressed.missing === 'NoSuchKey' ? 'The specified key does not exist.' : 'The specified version does not exist.';
    sendXmlError(res, 404, addressed.missing, message, { Key: target.key, ...(versionId ? { VersionId: versionId } : {}) });
    return undefined;
  }
  if (addressed.version.deleteMarker) {
    const headers = { 'x-amz-delete-marker': 'true', 'x-amz-version-id': addressed.version.versionId };
    if (versionId === null) sendXmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', { Key: target.key }, headers);
    else sendXmlError(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: 'GET', ResourceType: 'DeleteMarker' }, { ...headers, allow: 'DELETE' });
    return undefined;
  }
  return addressed.version;
}

/** Changes one version's state (creating the `null` version of an object stored without state). */
export function updateVersion(ctx: ProxyContext, target: Target, versionId: string, change: (version: ObjectVersion) => void): void {
  ctx.options.state.update(target.bucket, target.key, (state) => {
    let version = findVersion(state, versionId);
    if (!version) {
      version = { versionId };
      state.versions.unshift(version);
    }
    change(version);
  });
}
