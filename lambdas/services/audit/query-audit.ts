/**
 * Reads a tenant's audit trail for `GET /audit`: by patient (GSI byPatient), else by client
 * (byClient), else by time (byDay, one partition per day), always oldest first within
 * [from, to]. Never a scan.
 */
import { AUDIT_INDEXES, AuditKeys } from '#core/audit/keys.ts';
import { cursorPosition, daysBetween, encodeCursor, type AuditQuery } from '#core/audit/query.ts';
import type { SealedAuditRecord } from '#core/audit/hash-chain.ts';
import { queryIndexRange } from '#adapters/audit/audit-store.ts';

export interface AuditPage {
  readonly records: SealedAuditRecord[];
  /** Where the next page starts; absent when this page ends the range. */
  readonly next?: string;
}

/** Time order keys run `<at>#<shard>#<seq>`: these bound every key of a time range. */
const rangeOf = (query: AuditQuery) => ({ from: query.from, to: `${query.to}#~` });

export async function queryAudit(tenant: string, query: AuditQuery): Promise<AuditPage> {
  const records: SealedAuditRecord[] = [];
  const keep = (record: SealedAuditRecord) => query.clientId === undefined || record.actor.clientId === query.clientId;
  const ranges: { index: (typeof AUDIT_INDEXES)[keyof typeof AUDIT_INDEXES]; partition: string }[] =
    query.patientId !== undefined
      ? [{ index: AUDIT_INDEXES.patient, partition: AuditKeys.byPatient(tenant, query.patientId) }]
      : query.clientId !== undefined
        ? [{ index: AUDIT_INDEXES.client, partition: AuditKeys.byClient(tenant, query.clientId) }]
        : daysBetween(query.after ?? query.from, query.to).map((day) => ({ index: AUDIT_INDEXES.day, partition: AuditKeys.byDay(tenant, day) }));
  let after = query.after;
  for (const range of ranges) {
    let more = true;
    while (more && records.length < query.limit) {
      const position = after ? cursorPosition(after) : undefined;
      const page = await queryIndexRange({
        ...range,
        ...rangeOf(query),
        limit: query.limit - records.length,
        // The cursor's record is in this partition (day ranges start at the cursor's day).
        after: position && after ? { pk: AuditKeys.chain(tenant, position.shard), sk: AuditKeys.seq(position.seq), timeOrder: after } : undefined,
      });
      records.push(...page.records.filter(keep));
      more = page.more;
      const last = page.records.at(-1);
      if (last) after = AuditKeys.timeOrder(last);
      if (!last) break;
    }
    if (records.length >= query.limit) return { records, next: encodeCursor(after!) };
    after = undefined;
  }
  return { records };
}
