/**
 * Reading discovery exports within a tenant (docs/exports.md): the list, one export (404 when it
 * names none), and a completed package's time-limited download URLs — its documents, and its
 * DICOM files page by page (S3 signs one object per URL).
 */
import { NotFoundError } from '#core/errors.ts';
import type { ExportRecord } from '#core/exports/export.ts';
import { PACKAGE_DOCUMENTS, packageObjectKey } from '#core/exports/package-layout.ts';
import { clock } from '#adapters/clock.ts';
import { getExport, listExports, pageOfCopiedFiles } from '#adapters/exports/export-store.ts';
import { downloadUrl } from '#adapters/exports/package-objects.ts';
import { exportSigningKey } from '#adapters/exports/signing-key.ts';

/** How long a download URL works (S3 presigned GET); GET the export again for fresh ones. */
export const DOWNLOAD_URL_SECONDS = 3600;

export const exportsOf = (tenant: string) => listExports(tenant);

/** The key every package is signed with (KMS GetPublicKey): a package signed with another is not the archive's. */
export const signingKey = () => exportSigningKey();

export async function exportOf(tenant: string, id: string): Promise<ExportRecord> {
  const record = await getExport(tenant, id);
  if (!record) throw new NotFoundError(`no export ${id}`);
  return record;
}

const expiresAt = () => new Date(clock.now().getTime() + DOWNLOAD_URL_SECONDS * 1000).toISOString();
const urlOf = (record: ExportRecord, path: string) => downloadUrl(packageObjectKey(record.tenant, record.id, path), DOWNLOAD_URL_SECONDS);

export async function packageDocuments(record: ExportRecord): Promise<{ expiresAt: string; documents: Record<string, string> }> {
  const documents: Record<string, string> = {};
  for (const [name, path] of Object.entries(PACKAGE_DOCUMENTS)) documents[name] = await urlOf(record, path);
  return { expiresAt: expiresAt(), documents };
}

export async function packageFilesPage(record: ExportRecord, limit: number, after: string | undefined) {
  const page = await pageOfCopiedFiles(record.tenant, record.id, limit, after);
  const files = [];
  for (const row of page.rows) files.push({ path: row.path, size: row.size, sha256: row.sha256AtExport, url: await urlOf(record, row.path) });
  return { expiresAt: expiresAt(), files, ...(page.next ? { next: page.next } : {}) };
}
