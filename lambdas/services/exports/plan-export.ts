/** The export workflow's first step: what is in scope (instances, bytes), and the studies its Map copies. */
import { listInstanceRecords } from '#adapters/index-store.ts';
import { getExport, setExportTotals } from '#adapters/exports/export-store.ts';

export interface ExportPlan {
  tenant: string;
  exportId: string;
  studies: string[];
  /** The state the round loop carries: rounds done, instances still waiting for a restore. */
  tally: { round: number; waiting: number; failed: boolean; waitSeconds: number };
}

export async function planExport(tenant: string, exportId: string): Promise<ExportPlan> {
  const record = await getExport(tenant, exportId);
  if (!record) throw new Error(`export ${exportId} does not exist`);
  let instances = 0;
  let bytes = 0;
  for (const study of record.studies) {
    for (const instance of await listInstanceRecords(tenant, study)) {
      instances += 1;
      bytes += instance.size;
    }
  }
  await setExportTotals(tenant, exportId, { instances, bytes });
  return { tenant, exportId, studies: record.studies, tally: { round: 0, waiting: 0, failed: false, waitSeconds: 0 } };
}
