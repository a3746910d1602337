/**
 * S3's `x-amz-restore` header (HeadObject `Restore`): `ongoing-request="true"` while a restore
 * runs; `ongoing-request="false", expiry-date="<RFC 1123 date>"` once the restored copy is readable.
 */

/** Until when a restored copy is readable (ISO instant), or undefined when none is (or one is still running). */
export function restoredUntil(header: string | undefined): string | undefined {
  if (!header || !/ongoing-request="false"/.test(header)) return undefined;
  const expiry = /expiry-date="([^"]+)"/.exec(header)?.[1];
  const time = expiry ? Date.parse(expiry) : Number.NaN;
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}
