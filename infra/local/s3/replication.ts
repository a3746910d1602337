/**
 * S3 replication into the disaster-recovery copy, as S3 performs it for the declared rule
 * (infra/system.ts `replication`; docs/dr.md), on the local clock:
 * - asynchronous: a new version of a source object is PENDING (`x-amz-replication-status`)
 *   until the lag has passed on the local clock and the replicator has copied it, then COMPLETED;
 *   its replica carries REPLICA, the same version id, bytes, user metadata, tags, checksum,
 *   legal hold and retention, in the rule's storage class;
 * - later changes of a version's legal hold, retention or tags replicate the same way (S3
 *   replicates Object Lock and tag changes; the rule's role holds `s3:ReplicateTags`);
 * - delete markers and version deletes are NOT replicated (the rule has delete-marker
 *   replication off, and S3 never replicates a version delete): the disposition workflow
 *   deletes in the replica itself, after the recovery window;
 * - lifecycle transitions and restores are not replicated (the replica has its own class).
 * Which keys wait is kept in durable markers, so a restart loses no pending replication.
 */
import { join } from 'node:path';
import type { Clock } from '#adapters/clock.ts';
import type { ReplicaStorageClass } from '#infra/system-types.ts';
import { KeyMarkers, type ObjectStateStore, type ObjectVersion } from './object-state.ts';
import type { Target } from './proxy-context.ts';
import { internalHeaders } from './internal-headers.ts';
import { readAll, sendUpstream } from './upstream.ts';
import { findVersion, isObject } from './versions.ts';

/** The rule as the local S3 applies it: physical bucket names and the simulated lag. */
export interface LocalReplicationRule {
  source: string;
  replica: string;
  storageClass: ReplicaStorageClass;
  /** How long after a change its replica is written, on the local clock. */
  lagMs: number;
}

/** What the replicator needs of the fidelity proxy. */
export interface ReplicationHost {
  readonly options: { state: ObjectStateStore; upstream: URL; clock: Clock };
  readonly bytes: { pathOf(bucket: string, key: string, version: ObjectVersion): string };
  serialized<T>(target: Target, task: () => Promise<T>): Promise<T>;
  /** Writes a replica version (same id) into a versioned bucket, as a PutObject would. */
  writeReplica(target: Target, versionId: string, version: Omit<ObjectVersion, 'versionId'>, body: Buffer, headers: Record<string, string>): Promise<void>;
}

export interface ReplicationRun {
  /** Versions whose replica was written or updated. */
  replicated: number;
  /** Versions still waiting for their lag. */
  waiting: number;
}

export class Replicator {
  private readonly pending: KeyMarkers;
  private running: Promise<ReplicationRun> | undefined;

  constructor(
    private readonly host: ReplicationHost,
    readonly rule: LocalReplicationRule,
    stateDirectory: string,
  ) {
    this.pending = new KeyMarkers(join(stateDirectory, 'replication-pending'));
  }

  /**
   * Marks a version of a source object for replication (a new version, or a change of its
   * locks or tags); called on the key's lock, before the change is saved. Resolves when the
   * key's pending marker is durable: the caller answers only then.
   */
  mark(target: Target, versionId: string): Promise<void> {
    if (target.bucket !== this.rule.source) return Promise.resolve();
    const dueAt = new Date(this.host.options.clock.now().getTime() + this.rule.lagMs).toISOString();
    this.host.options.state.update(target.bucket, target.key, (state) => {
      const version = findVersion(state, versionId);
      if (isObject(version)) version.replication = { status: 'PENDING', dueAt };
    });
    return this.pending.setDurably(target.bucket, target.key, true);
  }

  /** Replicates every version whose lag has passed; concurrent calls share one run. */
  run(): Promise<ReplicationRun> {
    this.running ??= this.replicateDue().finally(() => (this.running = undefined));
    return this.running;
  }

  private async replicateDue(): Promise<ReplicationRun> {
    const result: ReplicationRun = { replicated: 0, waiting: 0 };
    for (const { bucket, key } of this.pending.list()) {
      const outcome = await this.replicateKey({ bucket, key, query: new URLSearchParams() });
      result.replicated += outcome.replicated;
      result.waiting += outcome.waiting;
    }
    return result;
  }

  private async replicateKey(source: Target): Promise<ReplicationRun> {
    const now = this.host.options.clock.now().getTime();
    const { state } = this.host.options;
    const due = (v: ObjectVersion) => v.replication?.status === 'PENDING' && Date.parse(v.replication.dueAt ?? '') <= now;
    const versions = state.get(source.bucket, source.key).versions.filter(isObject);
    const ready = versions.filter(due);
    let replicated = 0;
    // Oldest first, as S3 replicates a key's versions in the order they were written.
    for (const version of ready.reverse()) {
      if (await this.replicateVersion(source, version.versionId)) replicated += 1;
    }
    const waiting = state.get(source.bucket, source.key).versions.filter((v) => v.replication?.status === 'PENDING').length;
    if (!waiting) await this.pending.setDurably(source.bucket, source.key, false);
    return { replicated, waiting };
  }

  /** Copies one version (or its changed locks and tags) to the replica; false when it is gone from the source. */
  private async replicateVersion(source: Target, versionId: string): Promise<boolean> {
    const { state, upstream } = this.host.options;
    // Read on the source key's lock: a concurrent overwrite moves the current bytes aside.
    const read = await this.host.serialized(source, async () => {
      const version = findVersion(state.get(source.bucket, source.key), versionId);
      if (!isObject(version) || version.replication?.status !== 'PENDING') return undefined;
      const answer = await sendUpstream(upstream, { method: 'GET', path: this.host.bytes.pathOf(source.bucket, source.key, version), headers: internalHeaders() });
      const body = await readAll(answer);
      if (answer.statusCode !== 200) throw new Error(`replication of ${source.key} could not read version ${versionId}: ${answer.statusCode}`);
      return { version, body, headers: replicatedHeaders(answer.headers) };
    });
    if (!read) return false;
    const replica: Target = { bucket: this.rule.replica, key: source.key, query: new URLSearchParams() };
    const { version } = read;
    await this.host.serialized(replica, async () => {
      const existing = findVersion(state.get(replica.bucket, replica.key), versionId);
      if (isObject(existing)) {
        // Already replicated: only its locks and tags can have changed (bytes are immutable per version).
        state.update(replica.bucket, replica.key, (s) => {
          const v = findVersion(s, versionId)!;
          copyLocksAndTags(version, v);
        });
        await state.saved(replica.bucket, replica.key);
        return;
      }
      const fields: Omit<ObjectVersion, 'versionId'> = {
        storageClass: this.rule.storageClass,
        ...(version.sha256 ? { sha256: version.sha256 } : {}),
        createdAt: this.host.options.clock.now().toISOString(),
        size: read.body.length,
        replication: { status: 'REPLICA' },
      };
      copyLocksAndTags(version, fields);
      await this.host.writeReplica(replica, versionId, fields, read.body, read.headers);
    });
    await this.host.serialized(source, async () => {
      state.update(source.bucket, source.key, (s) => {
        const v = findVersion(s, versionId);
        // A change made while copying marked it PENDING again with a later dueAt: leave that for the next run.
        if (v?.replication?.status === 'PENDING' && v.replication.dueAt === version.replication?.dueAt) v.replication = { status: 'COMPLETED' };
      });
      await state.saved(source.bucket, source.key);
    });
    return true;
  }
}

function copyLocksAndTags(from: ObjectVersion, to: Omit<ObjectVersion, 'versionId'>): void {
  for (const field of ['legalHold', 'retention', 'tags'] as const) {
    if (from[field] === undefined) delete to[field];
    else Object.assign(to, { [field]: structuredClone(from[field]) });
  }
}

/** The user metadata and content type a replica keeps (S3 replicates both with the object). */
function replicatedHeaders(headers: import('node:http').IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if ((name.startsWith('x-amz-meta-') || name === 'content-type') && typeof value === 'string') kept[name] = value;
  }
  return kept;
}
