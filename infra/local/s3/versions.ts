/**
 * S3 versioning over the fidelity state (S3 User Guide, "Using versioning in S3 buckets"): a
 * key has a stack of versions, newest first; the newest is current, and a delete marker as
 * current makes the key answer 404. Pure: which version a request means, and what a write or
 * a delete does to the stack. Where each version's bytes live is version-bytes.ts.
 */
import { randomBytes } from 'node:crypto';
import type { ObjectState, ObjectVersion } from './object-state.ts';

/** The id S3 gives objects stored while versioning was off (and every object of an unversioned bucket). */
export const NULL_VERSION = 'null';

/** An opaque id as S3 makes them: 32 URL-safe characters. */
export const newVersionId = () => randomBytes(24).toString('base64url');

/** The current version: an object, a delete marker, or undefined when the key has no version. */
export const currentVersion = (state: ObjectState): ObjectVersion | undefined => state.versions[0];

/** The current version when it is an object (what a request without versionId reads). */
export function currentObject(state: ObjectState): ObjectVersion | undefined {
  const current = state.versions[0];
  return current && !current.deleteMarker ? current : undefined;
}

export const findVersion = (state: ObjectState, versionId: string): ObjectVersion | undefined =>
  state.versions.find((version) => version.versionId === versionId);

/**
 * The version a request addresses: `?versionId=` if given, else the current one. A missing
 * version is `NoSuchVersion` with an id, `NoSuchKey` without (S3's codes).
 */
export function addressedVersion(state: ObjectState, versionId: string | null): { version: ObjectVersion } | { missing: 'NoSuchKey' | 'NoSuchVersion' } {
  if (versionId === null) {
    const current = currentVersion(state);
    return current ? { version: current } : { missing: 'NoSuchKey' };
  }
  const version = findVersion(state, versionId);
  return version ? { version } : { missing: 'NoSuchVersion' };
}

/**
 * A write of a new object: in a versioned bucket it goes on top (the previous current version
 * becomes noncurrent); in an unversioned one it replaces the `null` version.
 */
export function pushVersion(state: ObjectState, version: ObjectVersion, versioned: boolean): void {
  if (versioned) state.versions.unshift(version);
  else state.versions = [version, ...state.versions.filter((v) => v.versionId !== NULL_VERSION)];
}

/** Removes one version for good; the next newest (if any) becomes current. */
export function removeVersion(state: ObjectState, versionId: string): void {
  state.versions = state.versions.filter((version) => version.versionId !== versionId);
}

/** A version S3 would expose as an object version (not a marker). */
export const isObject = (version: ObjectVersion | undefined): version is ObjectVersion => version !== undefined && !version.deleteMarker;
