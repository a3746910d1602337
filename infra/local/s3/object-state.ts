/**
 * What the fidelity layer knows about an object beyond what s3rver keeps: its SHA-256,
 * Object Lock state and restore state. One small JSON file per object that has any such
 * state, under `<dataDir>/s3-fidelity/`, so it survives restarts with the bytes.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
  sha256?: string;
  legalHold?: 'ON' | 'OFF';
  retention?: { mode: LockMode; retainUntil: string };
  restore?: RestoreState;
}

export class ObjectStateStore {
  private readonly restoresDirectory: string;

  constructor(private readonly directory: string) {
    this.restoresDirectory = join(directory, 'restores-pending');
    mkdirSync(this.restoresDirectory, { recursive: true });
  }

  private file(bucket: string, key: string): string {
    return join(this.directory, createHash('sha1').update(`${bucket}/${key}`).digest('hex') + '.json');
  }

  has(bucket: string, key: string): boolean {
    return existsSync(this.file(bucket, key));
  }

  get(bucket: string, key: string): ObjectState {
    try {
      return JSON.parse(readFileSync(this.file(bucket, key), 'utf8')) as ObjectState;
    } catch {
      return { bucket, key };
    }
  }

  put(state: ObjectState): void {
    writeFileSync(this.file(state.bucket, state.key), JSON.stringify(state));
  }

  update(bucket: string, key: string, change: (state: ObjectState) => void): ObjectState {
    const state = this.get(bucket, key);
    change(state);
    this.put(state);
    return state;
  }

  delete(bucket: string, key: string): void {
    rmSync(this.file(bucket, key), { force: true });
    this.setRestorePending(bucket, key, false);
  }

  /**
   * Restores whose completion or expiry is still to be announced are listed apart, so the
   * ticker that announces them reads a handful of files, not one per object.
   */
  setRestorePending(bucket: string, key: string, pending: boolean): void {
    const marker = join(this.restoresDirectory, createHash('sha1').update(`${bucket}/${key}`).digest('hex'));
    if (pending) writeFileSync(marker, JSON.stringify({ bucket, key }));
    else rmSync(marker, { force: true });
  }

  pendingRestores(): ObjectState[] {
    return readdirSync(this.restoresDirectory).map((name) => {
      const { bucket, key } = JSON.parse(readFileSync(join(this.restoresDirectory, name), 'utf8')) as ObjectState;
      return this.get(bucket, key);
    });
  }
}
