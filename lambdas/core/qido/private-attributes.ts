/**
 * Strata's private QIDO-RS attributes (PS3.5 7.8): what the archive knows of an instance that no
 * standard attribute carries. They are returned only when asked for by tag in `includefield`
 * (never for `all`), each with its Private Creator, so ordinary clients see standard responses.
 *
 * (0009,1001) is the SHA-256 (hex) of the instance's current version as stored: a client that
 * resumes a push compares it with its file's hash and skips what the archive already holds
 * (docs/ingest.md).
 */
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';

export const PRIVATE_CREATOR_TAG = '00090010';
export const PRIVATE_CREATOR = 'STRATA 1';
export const INSTANCE_SHA256_TAG = '00091001';

const PRIVATE_TAGS = new Set([INSTANCE_SHA256_TAG]);

export const isStrataPrivateTag = (tag: string) => PRIVATE_TAGS.has(tag.toUpperCase());

/** The private attributes of an instance view. */
export function instancePrivateAttributes(sha256: string): DicomJsonDataset {
  return {
    [PRIVATE_CREATOR_TAG]: { vr: 'LO', Value: [PRIVATE_CREATOR] },
    [INSTANCE_SHA256_TAG]: { vr: 'LO', Value: [sha256] },
  };
}

/** A dataset without the private attributes and their creator (for `includefield=all`). */
export function withoutPrivateAttributes(dataset: DicomJsonDataset): DicomJsonDataset {
  const copy = { ...dataset };
  for (const tag of [PRIVATE_CREATOR_TAG, ...PRIVATE_TAGS]) delete copy[tag];
  return copy;
}
