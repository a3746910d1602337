/**
 * What the fidelity layer knows about an object beyond what s3rver keeps: its SHA-256,
 * Object Lock state and restore state. One small JSON file per object that has any such
 * state, under `<dataDir>/s3-fidelity/`, so it survives restarts with the bytes. Writes go to
 * disk asynchronously behind an in-memory copy; `flush()` (on stop) waits for them.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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

export interface ObjectState {
  bucket: string;
  key: string;
  /** Set for every object written through the proxy, so existence checks need no HEAD. */
  exists?: boolean;
  /** The class S3 would report, kept so reads need no HEAD to s3rver. */
  storageClass?: string;
  sha256?: string;
  legalHold?: 'ON' | 'OFF';
  retention?: { mode: LockMode; retainUntil: string };
  restore?: RestoreState;
}

export class ObjectStateStore {
  private readonly restoresDirectory: string;
  /** States read or written since start; files are written behind, off the event loop. */
  private readonly cache = new Map<string, ObjectState | null>();
  private readonly writes = new Map<string, Promise<void>>();

  /** Files that exist on disk, listed once at start, so a new key costs no file-system call. */
  private readonly onDisk: Set<string>;
  private readonly pending = new Map<string, { bucket: string; key: string }>();

  constructor(private readonly directory: string) {
    this.restoresDirectory = join(directory, 'restores-pending');
    mkdirSync(this.restoresDirectory, { recursive: true });
    this.onDisk = new Set(readdirSync(directory).filter((name) => name.endsWith('.json')).map((name) => join(directory, name)));
    for (const name of readdirSync(this.restoresDirectory)) {
      const marker = join(this.restoresDirectory, name);
      this.pending.set(marker, JSON.parse(readFileSync(marker, 'utf8')) as { bucket: string; key: string });
    }
  }

  private file(bucket: string, key: string): string {
    return join(this.directory, createHash('sha1').update(`${bucket}/${key}`).digest('hex') + '.json');
  }

  has(bucket: string, key: string): boolean {
    return this.load(bucket, key) !== null;
  }

  get(bucket: string, key: string): ObjectState {
    const state = this.load(bucket, key);
    return state ? structuredClone(state) : { bucket, key };
  }

  put(state: ObjectState): void {
    const file = this.file(state.bucket, state.key);
    this.cache.set(file, structuredClone(state));
    this.persist(file, JSON.stringify(state));
  }

  /** Resolves when every state change so far is on disk (the runtime awaits it on stop). */
  async flush(): Promise<void> {
    while (this.writes.size) await Promise.allSettled([...this.writes.values()]);
  }

  private load(bucket: string, key: string): ObjectState | null {
    const file = this.file(bucket, key);
    let state = this.cache.get(file);
    if (state === undefined) {
      state = this.onDisk.has(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ObjectState) : null;
      this.cache.set(file, state);
    }
    return state;
  }

  /** Writes for one file are chained, so the last change is the one that stays. */
  private persist(file: string, content: string | undefined): void {
    if (content === undefined) this.onDisk.delete(file);
    else this.onDisk.add(file);
    const previous = this.writes.get(file) ?? Promise.resolve();
    // Written aside and renamed over: a process killed mid-write leaves the old state, never half a file.
    const next = previous.then(() => (content === undefined ? rm(file, { force: true }) : writeFile(`${file}.tmp`, content).then(() => rename(`${file}.tmp`, file))));
    const tracked = next.catch(() => {}).finally(() => {
      if (this.writes.get(file) === tracked) this.writes.delete(file);
    });
    this.writes.set(file, tracked);
  }

  update(bucket: string, key: string, change: (state: ObjectState) => void): ObjectState {
    const state = this.get(bucket, key);
    change(state);
    this.put(state);
    return state;
  }

  delete(bucket: string, key: string): void {
    const file = this.file(bucket, key);
    this.cache.set(file, null);
    this.persist(file, undefined);
    this.setRestorePending(bucket, key, false);
  }

  /**
   * Restores whose completion or expiry is still to be announced are listed apart (one marker
   * file each, mirrored in memory), so the ticker that announces them reads a handful of
   * states, not one per object.
   */
  setRestorePending(bucket: string, key: string, pending: boolean): void {
    const marker = join(this.restoresDirectory, createHash('sha1').update(`${bucket}/${key}`).digest('hex'));
    if (pending === this.pending.has(marker)) return;
    if (pending) {
      this.pending.set(marker, { bucket, key });
      writeFileSync(marker, JSON.stringify({ bucket, key }));
    } else {
      this.pending.delete(marker);
      rmSync(marker, { force: true });
    }
  }

  pendingRestores(): ObjectState[] {
    return [...this.pending.values()].map(({ bucket, key }) => this.get(bucket, key));
  }
}
