/**
 * The index records the bucket carries for a rebuild (docs/dr.md, "What the bucket carries"):
 * what no instance object can say about itself — legal holds and soft-deleted studies — written
 * as small JSON objects beside the archive's own, so a rebuild from a bucket (the archive or its
 * DR replica, where they replicate like everything else) gives them back. Pure: keys and the
 * JSON form of index items (DynamoDB sets have no JSON form of their own).
 */

/** Hold ledger: one object per revision of a hold item, `holds/<tenant>/<hold id>/<revision>.json`. */
export const HOLD_LEDGER_PREFIX = 'holds/';
const REVISION_DIGITS = 10;

export const holdLedgerKey = (tenant: string, holdId: string, revision: number) => `${HOLD_LEDGER_PREFIX}${tenant}/${holdId}/${String(revision).padStart(REVISION_DIGITS, '0')}.json`;

/** The tenant, hold and revision of a hold-ledger key; undefined for any other key. */
export function holdLedgerEntry(key: string): { tenant: string; holdId: string; revision: number } | undefined {
  const match = /^holds\/([^/]+)\/([^/]+)\/(\d+)\.json$/.exec(key);
  return match ? { tenant: match[1]!, holdId: match[2]!, revision: Number(match[3]) } : undefined;
}

/** The newest revision of each hold among ledger keys (other keys are ignored). */
export function newestHoldRevisions(keys: readonly string[]): string[] {
  const newest = new Map<string, { key: string; revision: number }>();
  for (const key of keys) {
    const entry = holdLedgerEntry(key);
    if (!entry) continue;
    const hold = `${entry.tenant}/${entry.holdId}`;
    if ((newest.get(hold)?.revision ?? -1) < entry.revision) newest.set(hold, { key, revision: entry.revision });
  }
  return [...newest.values()].map((n) => n.key);
}

/** Disposition records live beside the run's report: `disposition/<tenant>/<run id>/ledger.json`. */
export const DISPOSITION_PREFIX = 'disposition/';
export const dispositionLedgerKey = (tenant: string, id: string) => `${DISPOSITION_PREFIX}${tenant}/${id}/ledger.json`;
export const isDispositionLedgerKey = (key: string) => /^disposition\/[^/]+\/[^/]+\/ledger\.json$/.test(key);

/**
 * A soft-deleted study's vault (its index items as the soft delete moved them): one key per
 * study whatever the run, so the purge destroys every version ever written for it.
 */
export const vaultRecordKey = (tenant: string, study: string) => `${DISPOSITION_PREFIX}${tenant}/vault/${study}.json`;

/** An index item as JSON: sets become `{"$set": [...]}`. */
export const encodeItems = (items: readonly Record<string, unknown>[]): string => JSON.stringify(items, (_key, value: unknown) => (value instanceof Set ? { $set: [...(value as Set<unknown>)] } : value));

export const decodeItems = (text: string): Record<string, unknown>[] =>
  JSON.parse(text, (_key, value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && '$set' in value ? new Set((value as { $set: unknown[] }).$set) : value)) as Record<string, unknown>[];
