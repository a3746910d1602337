/**
 * Soft-delete hides a study from QIDO and WADO by moving its index items (study, series,
 * instances, earlier versions) to a partition no read path queries, keeping their sort keys and
 * stashing their GSI keys, so a restore puts back exactly what was there. Items a hold or an
 * audit needs stay in place (LEGAL_HOLDS, FIXITY#, TOMBSTONE#).
 */
import { Keys } from '#core/index-keys.ts';

/** Sort keys of the items a soft-delete moves. */
export const MOVED_PREFIXES = [Keys.studySortKey, Keys.seriesOfStudyPrefix, Keys.instancesOfStudyPrefix, Keys.versionsOfStudyPrefix] as const;
const GSI_KEYS = ['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk'] as const;

export type IndexItem = Record<string, unknown> & { pk: string; sk: string };

export const isMoved = (sk: string) => MOVED_PREFIXES.some((prefix) => (prefix === Keys.studySortKey ? sk === prefix : sk.startsWith(prefix)));

export function toVault(item: IndexItem, tenant: string, study: string, dispositionId: string): IndexItem {
  const hiddenKeys: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if ((GSI_KEYS as readonly string[]).includes(name)) hiddenKeys[name] = value;
    else if (name !== 'pk' && name !== 'sk') rest[name] = value;
  }
  return { ...rest, pk: Keys.disposedStudyPartition(tenant, study), sk: item.sk, hiddenKeys, disposition: dispositionId };
}

export function fromVault(item: IndexItem, tenant: string, study: string): IndexItem {
  const { hiddenKeys, disposition: _, pk: __, ...rest } = item;
  return { ...rest, ...(hiddenKeys as Record<string, unknown> | undefined), pk: Keys.study(tenant, study).pk, sk: item.sk };
}
