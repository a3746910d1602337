/**
 * Which SOP classes an archive stores. PS3.4 Annex B storage classes live under
 * 1.2.840.10008.5.1.4; other standard classes (DICOMDIR, print, queries, verification) are
 * not objects to archive and get 0x0122 (SOP class not supported). Private classes
 * (not rooted at 1.2.840.10008) are stored, as PACS do.
 */
const STANDARD_ROOT = '1.2.840.10008.';
const STORAGE_ROOT = '1.2.840.10008.5.1.4.';
const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';

export function isStorableSopClass(uid: string): boolean {
  if (uid === MEDIA_STORAGE_DIRECTORY) return false;
  return uid.startsWith(STORAGE_ROOT) || !uid.startsWith(STANDARD_ROOT);
}
