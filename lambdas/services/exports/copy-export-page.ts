/**
 * One page of one study's export (docs/exports.md): the instances not yet in the package are
 * copied (streamed, re-hashed, recorded once each) until the page is full or the invocation's
 * time runs short, then the workflow asks for the next page. Archived instances without a
 * readable restored copy start (or join) the study's restore through the restore workflow and
 * are counted as waiting: a later round copies them once S3 has restored them.
 */
import type { InstanceRecord } from '#adapters/index-store.ts';
import { patientIdOf } from '#core/audit/subjects.ts';
import { packageFilePath, packageObjectKey } from '#core/exports/package-layout.ts';
import type { ManifestRow } from '#core/exports/manifest.ts';
import { clock } from '#adapters/clock.ts';
import { listInstanceRecords } from '#adapters/index-store.ts';
import { copiedOfStudy, getExport, recordCopiedFile } from '#adapters/exports/export-store.ts';
import { copyIntoPackage } from '#adapters/exports/package-objects.ts';
import { logger } from '#lambdas/observability/logger.ts';
import { ensureStudyRestore, unreadable } from '#services/restores/start-restore.ts';

export interface PageInput {
  tenant: string;
  exportId: string;
  study: string;
  /** Where the previous page of this study stopped (`<series>#<sop>`); absent: from the start. */
  after?: string | undefined;
  /** Instances earlier pages found archived although the index said readable (a restored copy that expired). */
  stale?: number | undefined;
}

export interface PageResult extends PageInput {
  done: boolean;
  /** Instances of the study still waiting for a restore (known once `done`). */
  waiting: number;
  copied: number;
}

/** Instances one invocation copies at most, and how many at once. */
export const PAGE_INSTANCES = 500;
const PARALLEL_COPIES = 4;
/** Time kept in hand for the copies in flight and the answer. */
const RESERVE_MS = 90_000;

const cursorOf = (r: InstanceRecord) => `${r.id.series}#${r.id.sop}`;

export async function copyExportPage(input: PageInput, remainingMs: () => number): Promise<PageResult> {
  const { tenant, exportId, study } = input;
  const record = await getExport(tenant, exportId);
  if (!record) throw new Error(`export ${exportId} does not exist`);
  const records = await listInstanceRecords(tenant, study);
  const copied = await copiedOfStudy(tenant, exportId, study);
  const cold = new Set(unreadable(records, clock.now()).map(cursorOf));
  const pending = records.filter((r) => !copied.has(r.id.sop));
  const waiting = pending.filter((r) => cold.has(cursorOf(r)));
  if (waiting.length) await ensureStudyRestore(tenant, study, { reason: 'export', requestedBy: record.createdBy }, records);
  const todo = pending.filter((r) => !cold.has(cursorOf(r)) && (input.after === undefined || cursorOf(r) > input.after));

  let stale = input.stale ?? 0;
  let done = 0;
  for (let i = 0; i < todo.length; i += PARALLEL_COPIES) {
    if (i > 0 && (done >= PAGE_INSTANCES || remainingMs() < RESERVE_MS)) {
      return { tenant, exportId, study, after: cursorOf(todo[i - 1]!), stale, done: false, waiting: waiting.length + stale, copied: done };
    }
    const chunk = todo.slice(i, i + PARALLEL_COPIES);
    const outcomes = await Promise.all(chunk.map((r) => copyOne(tenant, exportId, r)));
    stale += outcomes.filter((o) => o === 'archived').length;
    done += chunk.length;
  }
  if (stale) await ensureStudyRestore(tenant, study, { reason: 'export', requestedBy: record.createdBy }, records);
  return { tenant, exportId, study, stale: 0, done: true, waiting: waiting.length + stale, copied: done };
}

async function copyOne(tenant: string, exportId: string, record: InstanceRecord): Promise<'copied' | 'archived' | 'missing'> {
  const path = packageFilePath(record.id);
  const outcome = await copyIntoPackage(record.objectKey, packageObjectKey(tenant, exportId, path));
  if (!outcome.copied && outcome.reason === 'archived') return 'archived';
  const row: ManifestRow = {
    patientId: patientIdOf(record.study) ?? '',
    study: record.id.study,
    series: record.id.series,
    sop: record.id.sop,
    path,
    size: outcome.copied ? outcome.size : record.size,
    sha256AtIngest: record.sha256,
    // The index lists bytes S3 no longer has: the manifest says so (no match) rather than leaving the file out.
    sha256AtExport: outcome.copied ? outcome.sha256 : 'missing',
  };
  if (!outcome.copied || outcome.sha256 !== record.sha256) logger.error('export: an instance does not match its ingest record', { exportId, missing: !outcome.copied });
  await recordCopiedFile(tenant, exportId, row);
  return outcome.copied ? 'copied' : 'missing';
}
