/**
 * Entity tags for WADO-RS responses (RFC 9110 §8.8.3): derived from what identifies the
 * content — the resource, the representation asked for, and the stored versions' hashes —
 * so the same versions in the same form always give the same tag.
 */
import { createHash } from 'node:crypto';

export function contentEtag(identifiers: readonly string[]): string {
  return `"${createHash('sha256').update(identifiers.join('|')).digest('hex').slice(0, 32)}"`;
}

/** Whether an If-None-Match header names `etag` (weak tags compare equal, as GET allows). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  return header !== undefined && header.split(',').map((tag) => tag.trim().replace(/^W\//, '')).some((tag) => tag === etag || tag === '*');
}
