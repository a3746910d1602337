/**
 * Index keys of discovery exports (docs/data-model.md conventions: every key starts with the
 * tenant). A tenant's exports share one partition (GET /exports is one Query); each export's
 * copied files are rows of its own partition, written once each (conditional PutItem), which
 * the manifest is built from and the download listing pages through.
 */
import type { InstanceIdentity } from '#core/index-keys.ts';

export const ExportKeys = {
  export: (tenant: string, id: string) => ({ pk: `T#${tenant}#EXPORTS`, sk: `EXPORT#${id}` }),
  exportsOfTenant: (tenant: string) => `T#${tenant}#EXPORTS`,
  exportsPrefix: 'EXPORT#',
  file: (tenant: string, exportId: string, id: Pick<InstanceIdentity, 'study' | 'series' | 'sop'>) => ({
    pk: `T#${tenant}#EXPORT#${exportId}`,
    sk: `FILE#${id.study}#${id.series}#${id.sop}`,
  }),
  filesOfExport: (tenant: string, exportId: string) => `T#${tenant}#EXPORT#${exportId}`,
  filesPrefix: 'FILE#',
  filesOfStudyPrefix: (study: string) => `FILE#${study}#`,
} as const;
