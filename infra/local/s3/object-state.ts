/**
 * What the fidelity layer knows about an object beyond what s3rver keeps: its SHA-256,
 * Object Lock state and restore state. One small JSON file per object that has any such
 * state, under `<dataDir>/s3-fidelity/`, so it survives restarts with the bytes. Writes go to
 * disk asynchronously behind a bounded in-memory copy; a request that changed a state awaits
 * `saved()` (written, fsynced, renamed into place, directory fsynced) before it is answered, as
 * S3 acknowledges only what is durable, so a crash right after the answer keeps it (a legal
 * hold, a retention date, a restore). `flush()` (on stop) waits for every write.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncDirectory, GroupSync } from '#infra/local/group-sync.ts';

export type LockMode = 'GOVERNANCE' | 'COMPLIANCE';
export type RestoreTier = 'Expedited' | 'Standard' | 'Bulk';

export interface RestoreState {
  tier: RestoreTier;
  days: number;
  /** ISO instants on the local clock. */
  requestedAt: string;
  readyAt: string;
  expiresAt: string;
  sourceStorageClass: string;
  completionAnnounced?: boolean;
  expiryAnnounced?: boolean;
}

/** What S3 keeps per object version (S3 User Guide, "Working with objects in a versioning-enabled bucket"). */
export interface ObjectVersion {
  /** `null` for an object stored before versioning (or in an unversioned bucket), as S3 names it. */
  versionId: string;
  /** A delete marker: no bytes, and GET/HEAD of the key answer 404 while it is current. */
  deleteMarker?: true;
  /** The class S3 would report, kept so reads need no HEAD to s3rver. */
  storageClass?: string;
  sha256?: string;
  /** s3rver's ETag of the bytes (MD5): tells which version's bytes a key holds after a crash. */
  etag?: string | undefined;
  legalHold?: 'ON' | 'OFF';
  retention?: { mode: LockMode; retainUntil: string };
  restore?: RestoreState;
  /** Object tags (S3 keeps them per version; lifecycle rules filter on the current one's). */
  tags?: Record<string, string>;
  /**
   * S3 replication (replication.ts): on a source version PENDING until its replica is written
   * (`dueAt`: the simulated lag) then COMPLETED; on a replica, REPLICA. HEAD and GET report it
   * as `x-amz-replication-status`.
   */
  replication?: { status: 'PENDING' | 'COMPLETED' | 'REPLICA'; dueAt?: string };
  /** Creation on the local clock (LastModified) and size: what lifecycle rules count days and sizes from. */
  createdAt?: string;
  size?: number;
}

export interface ObjectState {
  bucket: string;
  key: string;
  /** Newest first: `versions[0]` is the current version (an object or a delete marker); empty when nothing is known. */
  versions: ObjectVersion[];
}

/** A state file written before versions were kept (one object per key) reads as the `null` version. */
function migrated(parsed: ObjectState | (Omit<ObjectVersion, 'versionId'> & { bucket: string; key: string; exists?: boolean })): ObjectState {
  if ('versions' in parsed && Array.isArray(parsed.versions)) return parsed as ObjectState;
  const { bucket, key, exists, ...fields } = parsed as Omit<ObjectVersion, 'versionId'> & { bucket: string; key: string; exists?: boolean };
  return { bucket, key, versions: exists === false ? [] : [{ versionId: 'null', ...fields }] };
}

/** States kept in memory; older ones are read again from their file when next needed. */
export const CACHED_STATES = 5_000;

export class ObjectStateStore {
  private readonly restoresPending: KeyMarkers;
  /** Keys whose bytes are moving between the current key and its noncurrent copies (version-bytes.ts). */
  readonly moves: KeyMarkers;
  /**
   * Recently used states, least recently used first (Map order), at most `capacity`: an
   * archive's objects outnumber what memory should hold, and most are never read twice.
   */
  private readonly cache = new Map<string, ObjectState | null>();
  /**
   * Writes in flight, with the content each file will have, so an evicted state is never read
   * stale; `durable` rejects if the write failed, `done` settles either way.
   */
  private readonly writes = new Map<string, PendingWrite>();

  constructor(
    private readonly directory: string,
    private readonly capacity = CACHED_STATES,
  ) {
    this.restoresPending = new KeyMarkers(join(directory, 'restores-pending'));
    this.moves = new KeyMarkers(join(directory, 'version-moves'));
  }

  private file(bucket: string, key: string): string {
    return join(this.directory, createHash('sha1').update(`${bucket}/${key}`).digest('hex') + '.json');
  }

  has(bucket: string, key: string): boolean {
    return this.load(bucket, key) !== null;
  }

  get(bucket: string, key: string): ObjectState {
    const state = this.load(bucket, key);
    return state ? structuredClone(state) : { bucket, key, versions: [] };
  }

  put(state: ObjectState): void {
    const file = this.file(state.bucket, state.key);
    this.remember(file, structuredClone(state));
    this.persist(file, JSON.stringify(state));
  }

  /** Resolves when every change so far to this object's state is durable; rejects if one could not be written. */
  saved(bucket: string, key: string): Promise<void> {
    return this.writes.get(this.file(bucket, key))?.durable ?? Promise.resolve();
  }

  /** Resolves when every state change so far is on disk (the runtime awaits it on stop). */
  async flush(): Promise<void> {
    while (this.writes.size) await Promise.allSettled([...this.writes.values()].map((write) => write.done));
  }

  /** How many states are held in memory (at most `capacity`). */
  get cachedCount(): number {
    return this.cache.size;
  }

  private load(bucket: string, key: string): ObjectState | null {
    const file = this.file(bucket, key);
    let state = this.cache.get(file);
    if (state === undefined) {
      const writing = this.writes.get(file);
      const content = writing ? writing.content : readIfExists(file);
      state = content === undefined ? null : migrated(JSON.parse(content) as ObjectState);
    }
    this.remember(file, state);
    return state;
  }

  private remember(file: string, state: ObjectState | null): void {
    this.cache.delete(file);
    this.cache.set(file, state);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
  }

  /**
   * Writes for one file are chained, so the last change is the one that stays. A change made
   * while the file's previous write is still queued joins it (a PUT changes its object's state
   * twice, the new version then its replication status): one write carries both, and everyone
   * waiting for either is answered when it is durable.
   */
  private persist(file: string, content: string | undefined): void {
    const queued = this.writes.get(file);
    if (queued && !queued.started) {
      queued.content = content;
      return;
    }
    const write: PendingWrite = { content, started: false, durable: Promise.resolve(), done: Promise.resolve() };
    write.durable = (queued?.done ?? Promise.resolve()).then(() => {
      write.started = true;
      return write.content === undefined ? removeDurably(file) : writeDurably(file, write.content);
    });
    write.done = write.durable.catch(() => {}).finally(() => {
      if (this.writes.get(file) === write) this.writes.delete(file);
    });
    this.writes.set(file, write);
  }

  update(bucket: string, key: string, change: (state: ObjectState) => void): ObjectState {
    const state = this.get(bucket, key);
    change(state);
    this.put(state);
    return state;
  }

  delete(bucket: string, key: string): void {
    const file = this.file(bucket, key);
    this.remember(file, null);
    this.persist(file, undefined);
    this.setRestorePending(bucket, key, false);
  }

  /**
   * Restores whose completion or expiry is still to be announced are listed apart (one marker
   * file each, mirrored in memory), so the ticker that announces them reads a handful of
   * states, not one per object.
   */
  setRestorePending(bucket: string, key: string, pending: boolean): void {
    this.restoresPending.set(bucket, key, pending);
  }

  pendingRestores(): ObjectState[] {
    return this.restoresPending.list().map(({ bucket, key }) => this.get(bucket, key));
  }
}

/** A state file's next write: `content` is what it will hold (undefined: removed) until it has `started`. */
interface PendingWrite {
  content: string | undefined;
  started: boolean;
  /** Rejects if the write failed. */
  durable: Promise<void>;
  /** Settles either way. */
  done: Promise<void>;
}

/**
 * A durable set of keys (one fsynced marker file each, mirrored in memory): restores still to
 * announce, keys whose bytes are being moved between versions (version-bytes.ts), which a
 * restart must finish, and keys waiting for replication.
 */
export class KeyMarkers {
  private readonly markers = new Map<string, { bucket: string; key: string }>();
  /** Each marker file's last queued change (setDurably), so changes reach the disk in order. */
  private readonly changes = new Map<string, Promise<void>>();

  constructor(private readonly directory: string) {
    mkdirSync(directory, { recursive: true });
    for (const name of readdirSync(directory)) {
      const marker = join(directory, name);
      // A marker setDurably was writing when the process died: its change was never answered.
      if (name.endsWith('.tmp')) {
        rmSync(marker, { force: true });
        continue;
      }
      this.markers.set(marker, JSON.parse(readFileSync(marker, 'utf8')) as { bucket: string; key: string });
    }
  }

  set(bucket: string, key: string, on: boolean): void {
    const marker = join(this.directory, createHash('sha1').update(`${bucket}/${key}`).digest('hex'));
    if (on === this.markers.has(marker)) return;
    if (on) {
      this.markers.set(marker, { bucket, key });
      const fd = openSync(marker, 'w');
      try {
        writeSync(fd, JSON.stringify({ bucket, key }));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } else {
      this.markers.delete(marker);
      rmSync(marker, { force: true });
    }
  }

  /**
   * As `set`, with the file written off the main thread: the set (in memory) changes at once,
   * the returned promise resolves once the change is on disk. A set changed only so must be
   * changed only so (its file changes are chained per key).
   */
  setDurably(bucket: string, key: string, on: boolean): Promise<void> {
    const marker = join(this.directory, createHash('sha1').update(`${bucket}/${key}`).digest('hex'));
    if (on === this.markers.has(marker)) return this.changes.get(marker) ?? Promise.resolve();
    if (on) this.markers.set(marker, { bucket, key });
    else this.markers.delete(marker);
    const change = (this.changes.get(marker) ?? Promise.resolve())
      .catch(() => {})
      .then(async () => {
        if (!on) return rm(marker, { force: true });
        // Written aside and renamed: a kill leaves no marker cut short, only a .tmp the next start removes.
        await writeFileSynced(`${marker}.tmp`, JSON.stringify({ bucket, key }));
        await rename(`${marker}.tmp`, marker);
        await syncDirectory(this.directory);
      });
    this.changes.set(marker, change);
    void change.catch(() => {}).finally(() => {
      if (this.changes.get(marker) === change) this.changes.delete(marker);
    });
    return change;
  }

  list(): { bucket: string; key: string }[] {
    return [...this.markers.values()];
  }
}

/** Written aside, fsynced and renamed over: a crash leaves the old state or the new one, never half a file. */
async function writeDurably(file: string, content: string): Promise<void> {
  await writeFileSynced(`${file}.tmp`, content);
  await rename(`${file}.tmp`, file);
  await syncDirectory(dirname(file));
}

async function writeFileSynced(file: string, content: string): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function removeDurably(file: string): Promise<void> {
  await rm(file, { force: true });
  await syncDirectory(dirname(file));
}

/** A rename or removal is durable once its directory is; concurrent writers share the fsyncs (group-sync.ts). */
function syncDirectory(directory: string): Promise<void> {
  let sync = directorySyncs.get(directory);
  if (!sync) directorySyncs.set(directory, (sync = new GroupSync(() => fsyncDirectory(directory))));
  return sync.request();
}

const directorySyncs = new Map<string, GroupSync>();

/** A file's text, or undefined when there is none (one failed open, no separate existence check). */
function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
