/** What the S3 fidelity proxy's request handlers share: the target of a request and the proxy's services. */
import type { IncomingMessage } from 'node:http';
import type { Clock } from '#adapters/clock.ts';
import type { ObjectStateStore } from './object-state.ts';
import type { CompiledLifecycleRule } from '#infra/lifecycle/compile-rules.ts';
import type { S3DetailType, S3EventDetail, s3Event } from './s3-events.ts';

export interface Target {
  bucket: string;
  key: string;
  query: URLSearchParams;
}

export interface ProxyContext {
  readonly options: FidelityProxyOptions;
  /** HEAD of the object in s3rver; undefined when it does not exist. */
  head(target: Target): Promise<IncomingMessage | undefined>;
  emit(type: S3DetailType, target: Target, object: { size?: number; etag?: string | undefined }, extra: Partial<S3EventDetail>): void;
}

export function parseTarget(url: string): Target {
  const parsed = new URL(url, 'http://local');
  const [bucket = '', ...rest] = parsed.pathname.slice(1).split('/');
  return { bucket, key: rest.map((segment) => decodeURIComponent(segment)).join('/'), query: parsed.searchParams };
}

export const encodePath = (key: string) => key.split('/').map(encodeURIComponent).join('/');
export const bypass = (req: IncomingMessage) => String(req.headers['x-amz-bypass-governance-retention']).toLowerCase() === 'true';
export const storageClassOf = (head: IncomingMessage) => (head.headers['x-amz-storage-class'] as string | undefined) ?? 'STANDARD';
export const etagOf = (response: IncomingMessage | undefined) => (response?.headers.etag as string | undefined)?.replace(/"/g, '');
export const decodeXmlText = (text: string) =>
  text.replace(/&(lt|gt|amp|apos|quot);/g, (_, entity: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[entity]!);

export interface FidelityProxyOptions {
  upstream: URL;
  state: ObjectStateStore;
  clock: Clock;
  region: string;
  /** Physical names of buckets created with Object Lock enabled. */
  objectLockBuckets: ReadonlySet<string>;
  /** Physical names of buckets with EventBridge notifications on. */
  eventBuckets: ReadonlySet<string>;
  publish: (event: ReturnType<typeof s3Event>) => void;
  /** Physical bucket name → its lifecycle rules (compiled from the policy, as the CDK bucket's). */
  lifecycleRules: ReadonlyMap<string, readonly CompiledLifecycleRule[]>;
}
