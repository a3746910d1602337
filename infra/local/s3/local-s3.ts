/**
 * S3: s3rver (persistent on disk) behind the fidelity proxy. Handlers talk to the proxy;
 * s3rver listens on a second, internal port. Buckets are those of the system declaration,
 * named `strata-<logical>` locally.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { Clock } from '#adapters/clock.ts';
import type { Guard } from '#infra/local/iam/guards.ts';
import type { BucketDeclaration, ReplicationDeclaration } from '#infra/system-types.ts';
import { S3FidelityProxy } from './fidelity-proxy.ts';
import { ObjectStateStore } from './object-state.ts';
import { removeInterruptedPuts } from './interrupted-puts.ts';
import type { S3Event } from './s3-events.ts';
import { compileLifecycleRules } from '#infra/lifecycle/compile-rules.ts';
import { loadPolicy } from '#infra/lifecycle/load-policy.ts';
import { applyLifecycle, type LifecycleRun } from './lifecycle-engine.ts';
import { shadowBuckets } from './version-bytes.ts';
import type { ReplicationRun } from './replication.ts';

export const localBucketName = (logical: string) => `strata-${logical}`;

export interface LocalS3 {
  endpoint: string;
  port: number;
  proxy: S3FidelityProxy;
  /** Applies the buckets' lifecycle rules at the local clock's now (run on every clock move). */
  applyLifecycle(): Promise<LifecycleRun>;
  /** Writes the replicas whose lag has passed on the local clock (every second, and on every clock move). */
  replicate(): Promise<ReplicationRun>;
  stop(): Promise<void>;
}

export async function startS3(
  buckets: Readonly<Record<string, BucketDeclaration>>,
  options: {
    dataDir: string;
    host: string;
    port: number;
    region: string;
    clock: Clock;
    /** The local secret every local credential signs with: presigned URLs are checked against it. */
    secretAccessKey: string;
    publish: (event: S3Event) => void;
    guard?: Guard;
    /** The declared replication rule and its simulated lag; the replica becomes a bucket of its own. */
    replication?: { rule: ReplicationDeclaration; lagMs: number } | undefined;
  },
): Promise<LocalS3> {
  const replication = options.replication;
  if (replication) {
    const source = buckets[replication.rule.source];
    if (!source?.versioned) throw new Error(`replication source ${replication.rule.source}: S3 replication requires a declared, versioned bucket`);
    // The DR stack's bucket, locally: versioned with Object Lock like the source, no events, no lifecycle of its own.
    buckets = { ...buckets, [replication.rule.replica]: { versioned: true, objectLock: true, eventBridge: false } };
  }
  for (const [logical, bucket] of Object.entries(buckets)) {
    if (bucket.objectLock && !bucket.versioned) throw new Error(`bucket ${logical}: S3 Object Lock requires a versioned bucket`);
  }
  const s3rverDirectory = join(options.dataDir, 's3');
  const interrupted = removeInterruptedPuts(s3rverDirectory);
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: s3rverDirectory,
    // The proxy rewrites decoded bodies, which invalidates the client's signature.
    allowMismatchedSignatures: true,
    // A versioned bucket's noncurrent versions and deleted keys live in shadow buckets (version-bytes.ts).
    configureBuckets: Object.entries(buckets).flatMap(([logical, bucket]) =>
      [localBucketName(logical), ...(bucket.versioned ? shadowBuckets(localBucketName(logical)) : [])].map((name) => ({ name })),
    ),
  });
  // s3rver formats a coloured log line for every request even when silent (koa-logger, then a
  // silenced winston transport): pure cost on the one main thread, so its logger goes.
  const koa = s3rver as unknown as { middleware: { name: string }[] };
  koa.middleware = koa.middleware.filter((middleware) => middleware.name !== 'logger');
  const upstreamAddress = await s3rver.run();

  const physical = (predicate: (bucket: BucketDeclaration) => boolean) =>
    new Set(Object.entries(buckets).filter(([, bucket]) => predicate(bucket)).map(([logical]) => localBucketName(logical)));

  const state = new ObjectStateStore(join(options.dataDir, 's3-fidelity'));
  const proxy = new S3FidelityProxy({
    upstream: new URL(`http://127.0.0.1:${upstreamAddress.port}`),
    s3rverDirectory,
    state,
    clock: options.clock,
    secretAccessKey: options.secretAccessKey,
    region: options.region,
    objectLockBuckets: physical((bucket) => bucket.objectLock),
    versionedBuckets: physical((bucket) => bucket.versioned),
    eventBuckets: physical((bucket) => bucket.eventBridge),
    publish: options.publish,
    // The same compiled rules as the CDK bucket's (infra/constructs/object-store.ts).
    replication: replication && {
      rule: {
        source: localBucketName(replication.rule.source),
        replica: localBucketName(replication.rule.replica),
        storageClass: replication.rule.storageClass,
        lagMs: replication.lagMs,
      },
      stateDirectory: join(options.dataDir, 's3-fidelity'),
    },
    lifecycleRules: new Map(
      Object.entries(buckets).map(([logical, bucket]) => [localBucketName(logical), bucket.lifecyclePolicy ? compileLifecycleRules(loadPolicy(bucket.lifecyclePolicy)) : []]),
    ),
  });
  // Before serving: keys whose bytes a crash left moving between versions, or whose PUT it cut
  // short, are made to agree with their versions again.
  for (const { bucket, key } of interrupted) {
    if (proxy.versioned(bucket)) state.moves.set(bucket, key, true);
    // A cut copy of a noncurrent version: its key's versions are settled too.
    const shadowOf = /^(.*)--noncurrent$/.exec(bucket)?.[1];
    if (shadowOf && proxy.versioned(shadowOf)) state.moves.set(shadowOf, key.slice(0, key.lastIndexOf('/')), true);
  }
  await proxy.bytes.recover();
  const server = createServer(options.guard ? options.guard(proxy.listener) : proxy.listener);
  server.keepAliveTimeout = 60_000;
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  // Restores complete on the local clock: check every second of real time and on every advance.
  const replicate = async (): Promise<ReplicationRun> => (proxy.replicator ? proxy.replicator.run() : { replicated: 0, waiting: 0 });
  const ticker = setInterval(() => {
    proxy.announceRestores();
    // A failed replication stays pending and is retried on the next tick, as S3 retries.
    replicate().catch(() => {});
  }, 1_000);
  ticker.unref();

  return {
    endpoint: `http://${options.host}:${port}`,
    port,
    proxy,
    applyLifecycle: () => applyLifecycle(proxy, proxy.options.lifecycleRules),
    replicate,
    async stop() {
      clearInterval(ticker);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await state.flush();
      await s3rver.close();
    },
  };
}
