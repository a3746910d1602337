/**
 * The end of an export (docs/exports.md): the manifest (CSV and JSON) from the copied files'
 * rows, the summary with both manifests' SHA-256, its KMS signature and the key's public half,
 * all written into the package; then the export is COMPLETED and the audit trail records what
 * left the archive (one record per patient), in the name of the client that asked for it.
 */
import { createHash } from 'node:crypto';
import { auditEntries, type AuditSubject } from '#core/audit/record.ts';
import type { ExportRecord } from '#core/exports/export.ts';
import { manifestCsv, manifestJson, matches, type ManifestRow } from '#core/exports/manifest.ts';
import { PACKAGE_DOCUMENTS, packageObjectKey } from '#core/exports/package-layout.ts';
import { buildSummary } from '#core/exports/summary.ts';
import { clock } from '#adapters/clock.ts';
import { recordAudit } from '#adapters/audit/record-audit.ts';
import { completeExport, copiedFiles, failExport, getExport } from '#adapters/exports/export-store.ts';
import { putPackageDocument } from '#adapters/exports/package-objects.ts';
import { getHold } from '#adapters/holds/hold-store.ts';
import { exportKeyPublicPem, SIGNING_ALGORITHM, signWithExportKey } from '#adapters/exports/signing-key.ts';
import { config } from '#lambdas/config.ts';

export async function finishExport(tenant: string, exportId: string, requestId: string) {
  const record = await getExport(tenant, exportId);
  if (!record) throw new Error(`export ${exportId} does not exist`);
  const rows: ManifestRow[] = [];
  for await (const row of copiedFiles(tenant, exportId)) rows.push(row);
  const csv = manifestCsv(rows);
  const json = manifestJson(exportId, rows);
  const key = (path: string) => packageObjectKey(tenant, exportId, path);
  await putPackageDocument(key(PACKAGE_DOCUMENTS.manifestCsv), csv, 'text/csv; charset=utf-8');
  await putPackageDocument(key(PACKAGE_DOCUMENTS.manifestJson), json, 'application/json');
  await putPackageDocument(key(PACKAGE_DOCUMENTS.publicKey), await exportKeyPublicPem(), 'application/x-pem-file');
  const completedAt = clock.now().toISOString();
  const holdReleasedAt = await releaseOfExportedHold(record);
  const summary = buildSummary({
    exportId,
    tenant,
    scope: record.scope,
    matter: record.matter,
    requestedBy: record.createdBy,
    requestedAt: record.createdAt,
    completedAt,
    holdReleasedAt,
    studies: record.studies.length,
    rows,
    manifestCsv: csv,
    manifestJson: json,
    signing: { keyId: config.exportSigningKeyArn(), algorithm: SIGNING_ALGORITHM },
  });
  const bytes = Buffer.from(summary, 'utf8');
  const { signature } = await signWithExportKey(bytes);
  await putPackageDocument(key(PACKAGE_DOCUMENTS.summary), bytes, 'application/json');
  await putPackageDocument(key(PACKAGE_DOCUMENTS.signature), signature, 'application/octet-stream');
  const summarySha256 = createHash('sha256').update(bytes).digest('hex');
  await completeExport(tenant, exportId, completedAt, summarySha256, holdReleasedAt);
  const counts = { instances: rows.length, bytes: rows.reduce((sum, r) => sum + r.size, 0), mismatches: rows.filter((r) => !matches(r)).length };
  await auditExportWorkflow(record, 'completed', 200, requestId, subjectsOfRows(rows), counts);
  return { exportId, ...counts, summarySha256 };
}

/**
 * A hold released while its export ran (an export of a released hold is refused at the start):
 * the package is still produced, and its signed summary says when the hold was released.
 */
async function releaseOfExportedHold(record: ExportRecord): Promise<string | undefined> {
  if (!('hold' in record.scope)) return undefined;
  const hold = await getHold(record.tenant, record.scope.hold);
  return hold?.status === 'released' ? hold.releasedAt : undefined;
}

/** The workflow failed (a step out of retries, or restores that never came): the export says why. */
export async function recordExportFailure(tenant: string, exportId: string, error: string, requestId: string) {
  const record = await getExport(tenant, exportId);
  await failExport(tenant, exportId, clock.now().toISOString(), error.slice(0, 500));
  if (record) await auditExportWorkflow(record, 'failed', 500, requestId, [{ patientId: record.patientId, studies: record.studies }], {});
  return { exportId, failed: true };
}

function subjectsOfRows(rows: readonly ManifestRow[]): { patientId: string | undefined; studies: string[] }[] {
  const byPatient = new Map<string, Set<string>>();
  for (const row of rows) byPatient.set(row.patientId, (byPatient.get(row.patientId) ?? new Set()).add(row.study));
  return [...byPatient].map(([patientId, studies]) => ({ patientId: patientId || undefined, studies: [...studies].sort() }));
}

async function auditExportWorkflow(
  record: ExportRecord,
  outcome: 'completed' | 'failed',
  status: number,
  requestId: string,
  subjects: AuditSubject[],
  counts: Record<string, number>,
): Promise<void> {
  await recordAudit(
    auditEntries(
      {
        kind: 'discoveryExport',
        at: clock.now(),
        method: 'WORKFLOW',
        resource: `export/${outcome}`,
        status,
        requestId,
        sourceIp: undefined,
        caller: { clientId: record.createdBy, tenant: record.tenant, scopes: [] },
      },
      (subjects.length ? subjects : [{ studies: record.studies }]).map((subject) => ({
        ...subject,
        detail: { exportId: record.id, exportAction: outcome, ...counts },
      })),
    ),
  );
}
