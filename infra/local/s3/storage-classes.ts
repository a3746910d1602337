/**
 * The storage classes the local S3 accepts. S3 refuses any other `x-amz-storage-class` with
 * `400 InvalidStorageClass`; s3rver checks it on PutObject but writes a copy's metadata before
 * checking, so an invalid class on CopyObject left an object no read could open. The proxy
 * therefore checks first, with s3rver's own list (S3's, less GLACIER_IR and the classes of
 * other services, which s3rver cannot store).
 */
export const STORAGE_CLASSES: ReadonlySet<string> = new Set([
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'OUTPOSTS',
]);

/**
 * Where a lifecycle rule can move an object (S3 User Guide, "Transitioning objects using
 * Amazon S3 Lifecycle"): never back to STANDARD, never to REDUCED_REDUNDANCY or OUTPOSTS.
 */
export const LIFECYCLE_TARGET_CLASSES: ReadonlySet<string> = new Set(['STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE']);

/**
 * The class s3rver stores for a lifecycle target. s3rver has no GLACIER_IR: the object is kept
 * as STANDARD_IA there (readable at once, as GLACIER_IR is) and the fidelity state holds and
 * reports the real class.
 */
export const upstreamStorageClass = (storageClass: string) => (storageClass === 'GLACIER_IR' ? 'STANDARD_IA' : storageClass);
