/**
 * Where each version's bytes live in s3rver, which has no versioning. The current version of
 * a key is the key itself in the bucket (so GET, HEAD and ListObjectsV2 pass through as
 * before); a noncurrent version is the object `<key>/<versionId>` in the bucket's shadow
 * `<bucket>--noncurrent`; a key whose current version is a delete marker has an empty object
 * in `<bucket>--deleted`, so ListObjectVersions can find keys that no longer list.
 *
 * The fidelity state (versions.ts) is the truth; `settle` makes s3rver agree with it, and is
 * safe to repeat. A change that moves bytes is journaled (a durable marker per key) from its
 * first byte move until settled, and a restart settles every journaled key before serving:
 * a crash in between never loses the bytes of a version the state holds, and a version whose
 * bytes were never whole (a write that was never answered) is dropped.
 */
import type { IncomingMessage } from 'node:http';
import type { ObjectStateStore, ObjectVersion } from './object-state.ts';
import { decodeXmlText, encodePath } from './s3-text.ts';
import { internalHeaders } from './internal-headers.ts';
import { readAll, sendUpstream } from './upstream.ts';
import { currentObject, isObject, removeVersion } from './versions.ts';

export const noncurrentBucket = (bucket: string) => `${bucket}--noncurrent`;
export const deletedKeysBucket = (bucket: string) => `${bucket}--deleted`;
/** The buckets a versioned bucket needs in s3rver besides itself. */
export const shadowBuckets = (bucket: string) => [noncurrentBucket(bucket), deletedKeysBucket(bucket)];
export const isShadowBucket = (bucket: string) => /--(noncurrent|deleted)$/.test(bucket);

const noncurrentKey = (key: string, versionId: string) => `${key}/${versionId}`;

export class VersionBytes {
  constructor(
    private readonly upstream: URL,
    private readonly state: ObjectStateStore,
  ) {}

  /** The s3rver path holding a version's bytes: the key itself when current, else its noncurrent copy. */
  pathOf(bucket: string, key: string, version: ObjectVersion): string {
    const current = currentObject(this.state.get(bucket, key));
    if (current?.versionId === version.versionId) return `/${bucket}/${encodePath(key)}`;
    return `/${noncurrentBucket(bucket)}/${encodePath(noncurrentKey(key, version.versionId))}`;
  }

  /**
   * Runs a change of a key's versions: journaled from before `moveFirst` (the byte moves that
   * must precede the state change, such as keeping the current bytes before an overwrite)
   * until s3rver agrees with the new state. A failure leaves the journal for the next start.
   */
  async journaled<T>(bucket: string, key: string, change: () => Promise<T>): Promise<T> {
    this.state.moves.set(bucket, key, true);
    const result = await change();
    await this.settle(bucket, key);
    this.state.moves.set(bucket, key, false);
    return result;
  }

  /** Copies the current bytes aside as `version`'s noncurrent copy (before they are overwritten). */
  async keepAside(bucket: string, key: string, version: ObjectVersion): Promise<void> {
    await this.copy(`/${bucket}/${encodePath(key)}`, bucket, noncurrentKey(key, version.versionId), noncurrentBucket(bucket));
  }

  /** Settles every key a crash left journaled (called at start, before serving). */
  async recover(): Promise<number> {
    const journaled = this.state.moves.list();
    for (const { bucket, key } of journaled) {
      await this.settle(bucket, key);
      this.state.moves.set(bucket, key, false);
    }
    return journaled.length;
  }

  /** Makes s3rver hold what the state says; idempotent. */
  async settle(bucket: string, key: string, round = 0): Promise<void> {
    const state = this.state.get(bucket, key);
    const mainPath = `/${bucket}/${encodePath(key)}`;
    const shadow = new Set(await this.noncurrentIds(bucket, key));
    let mainEtag = await this.etag(mainPath);
    const current = currentObject(state);
    const holds = (version: ObjectVersion) => mainEtag !== undefined && (version.etag === undefined || version.etag === mainEtag);

    // Noncurrent versions whose only copy is still at the key (a delete, or a crash before it moved them).
    for (const version of state.versions.filter((v) => isObject(v) && v !== current)) {
      if (!shadow.has(version.versionId) && holds(version)) {
        await this.keepAside(bucket, key, version);
        shadow.add(version.versionId);
      }
    }
    let currentHeld = current !== undefined && holds(current);
    if (current && !currentHeld && shadow.has(current.versionId)) {
      await this.copy(`/${noncurrentBucket(bucket)}/${encodePath(noncurrentKey(key, current.versionId))}`, bucket, key, bucket);
      mainEtag = await this.etag(mainPath);
      currentHeld = holds(current);
    }
    if (!current && mainEtag !== undefined) await this.remove(bucket, key);

    // Versions whose bytes are nowhere were never whole: forget them, as S3 never shows a partial write.
    const lost = state.versions.filter((v) => isObject(v) && (v === current ? !currentHeld : !shadow.has(v.versionId)));
    if (lost.length && round === 0) {
      this.state.update(bucket, key, (s) => lost.forEach((v) => removeVersion(s, v.versionId)));
      await this.state.saved(bucket, key);
      return this.settle(bucket, key, 1);
    }
    const wanted = new Set(state.versions.filter((v) => isObject(v) && v !== current).map((v) => v.versionId));
    for (const id of shadow) if (!wanted.has(id)) await this.remove(noncurrentBucket(bucket), noncurrentKey(key, id));

    const markerCurrent = state.versions[0]?.deleteMarker === true;
    const indexPath = `/${deletedKeysBucket(bucket)}/${encodePath(key)}`;
    const answer = await sendUpstream(this.upstream, { method: markerCurrent ? 'PUT' : 'DELETE', path: indexPath, headers: internalHeaders(), ...(markerCurrent ? { body: Buffer.alloc(0) } : {}) });
    await drain(answer, `${markerCurrent ? 'marking' : 'unmarking'} a deleted key`);
  }

  private async copy(fromPath: string, bucket: string, key: string, toBucket: string): Promise<void> {
    const headers = { ...internalHeaders(), 'x-amz-copy-source': fromPath };
    const answer = await sendUpstream(this.upstream, { method: 'PUT', path: `/${toBucket}/${encodePath(key)}`, headers });
    const payload = (await readAll(answer)).toString('utf8');
    if (answer.statusCode !== 200 || payload.includes('<Error>')) throw new Error(`moving version bytes of ${bucket} failed: ${payload.slice(0, 200)}`);
  }

  private async remove(bucket: string, key: string): Promise<void> {
    await drain(await sendUpstream(this.upstream, { method: 'DELETE', path: `/${bucket}/${encodePath(key)}`, headers: internalHeaders() }), 'removing version bytes');
  }

  private async etag(path: string): Promise<string | undefined> {
    const answer = await sendUpstream(this.upstream, { method: 'HEAD', path, headers: internalHeaders() });
    answer.resume();
    return answer.statusCode === 200 ? String(answer.headers.etag ?? '').replace(/"/g, '') : undefined;
  }

  /** The version ids with a noncurrent copy (one listing of `<key>/`, never deeper). */
  private async noncurrentIds(bucket: string, key: string): Promise<string[]> {
    const ids: string[] = [];
    let marker = '';
    for (;;) {
      const query = new URLSearchParams({ prefix: `${key}/`, delimiter: '/', 'max-keys': '1000', ...(marker ? { marker } : {}) });
      const answer = await sendUpstream(this.upstream, { method: 'GET', path: `/${noncurrentBucket(bucket)}?${query}`, headers: internalHeaders() });
      const xml = (await readAll(answer)).toString('utf8');
      if (answer.statusCode !== 200) throw new Error(`listing noncurrent versions failed: ${xml.slice(0, 200)}`);
      const keys = [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => decodeXmlText(m[1]!));
      ids.push(...keys.map((k) => k.slice(key.length + 1)));
      if (!/<IsTruncated>true<\/IsTruncated>/.test(xml) || !keys.length) return ids;
      marker = keys.at(-1)!;
    }
  }
}

async function drain(answer: IncomingMessage, what: string): Promise<void> {
  const body = await readAll(answer);
  if ((answer.statusCode ?? 500) >= 300) throw new Error(`${what} failed: ${body.toString('utf8').slice(0, 200)}`);
}
