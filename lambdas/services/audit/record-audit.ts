/**
 * Appends audit entries to their tenant's trail. Each entry goes to a shard chosen at random;
 * a writer that loses the race for the next sequence number (another Lambda appended first)
 * reads the new head and tries again, on another shard, so concurrency costs retries, never records.
 */
import { randomInt } from 'node:crypto';
import { AUDIT_CHAIN_SHARDS, seal } from '#core/audit/hash-chain.ts';
import type { AuditEntry } from '#core/audit/record.ts';
import { StrataError } from '#core/errors.ts';
import { appendRecord, chainHead } from '#adapters/audit/audit-store.ts';

const MAX_ATTEMPTS = 12;

/** The trail could not take a record: a request that would disclose data unrecorded is refused. */
export class AuditUnavailableError extends StrataError {
  override readonly code = 'AuditUnavailable';
  override readonly statusCode = 503;
}

export async function recordAudit(entries: readonly AuditEntry[]): Promise<void> {
  for (const entry of entries) await append(entry);
}

async function append(entry: AuditEntry): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const shard = randomInt(AUDIT_CHAIN_SHARDS);
    const head = await chainHead(entry.tenant, shard);
    if (await appendRecord(seal(entry, shard, head))) return;
  }
  throw new AuditUnavailableError(`the audit trail is busy (${MAX_ATTEMPTS} appends lost to concurrent writers)`, { headers: { 'Retry-After': '1' } });
}
