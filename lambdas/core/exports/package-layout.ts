/**
 * Where a package's objects are in the exports bucket (docs/exports.md): everything of one
 * export under `<tenant>/<export id>/`, its DICOM files under `files/` by UIDs, so a package
 * downloaded whole is a folder a reviewer can open without the archive.
 */
import type { InstanceIdentity } from '#core/index-keys.ts';

export const PACKAGE_DOCUMENTS = {
  manifestCsv: 'manifest.csv',
  manifestJson: 'manifest.json',
  summary: 'summary.json',
  /** The KMS signature of summary.json's bytes (DER, as KMS returns it). */
  signature: 'summary.json.sig',
  /** The signing key's public key (PEM, SubjectPublicKeyInfo), for verification without AWS. */
  publicKey: 'public-key.pem',
} as const;

export type PackageDocument = keyof typeof PACKAGE_DOCUMENTS;

/** A file's path inside the package (what the manifest lists). */
export const packageFilePath = (id: Pick<InstanceIdentity, 'study' | 'series' | 'sop'>) => `files/${id.study}/${id.series}/${id.sop}.dcm`;

/** The object key of a path inside one export's package. */
export const packageObjectKey = (tenant: string, exportId: string, path: string) => `${tenant}/${exportId}/${path}`;
