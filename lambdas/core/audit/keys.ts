/**
 * Keys of the audit table (docs/audit.md). The base table holds each tenant's hash chains
 * (`T#<tenant>#CHAIN#<shard>` / zero-padded sequence number); three sparse GSIs serve the
 * queries: by patient, by client, and by day, each sorted by time.
 */
import type { SealedAuditRecord } from './hash-chain.ts';

const SEQ_DIGITS = 12;

export const AuditKeys = {
  chain: (tenant: string, shard: number) => `T#${tenant}#CHAIN#${shard}`,
  seq: (seq: number) => String(seq).padStart(SEQ_DIGITS, '0'),
  byPatient: (tenant: string, patientId: string) => `T#${tenant}#PID#${patientId}`,
  byClient: (tenant: string, clientId: string) => `T#${tenant}#CLIENT#${clientId}`,
  byDay: (tenant: string, day: string) => `T#${tenant}#DAY#${day}`,
  /** Every GSI sorts by time, then chain position (unique: two records never share both). */
  timeOrder: (record: Pick<SealedAuditRecord, 'at' | 'shard' | 'seq'>) => `${record.at}#${record.shard}#${AuditKeys.seq(record.seq)}`,
} as const;

/** The GSI of each query and its key attributes (infra/system.ts declares the same names). */
export const AUDIT_INDEXES = {
  patient: { name: 'byPatient', partitionKey: 'patientKey', sortKey: 'patientTime' },
  client: { name: 'byClient', partitionKey: 'clientKey', sortKey: 'clientTime' },
  day: { name: 'byDay', partitionKey: 'dayKey', sortKey: 'dayTime' },
} as const;

/** The key attributes stored with a record, all derived from it (the verifier recomputes them). */
export function auditItemKeys(record: SealedAuditRecord): Record<string, string> {
  const time = AuditKeys.timeOrder(record);
  return {
    pk: AuditKeys.chain(record.tenant, record.shard),
    sk: AuditKeys.seq(record.seq),
    ...(record.patientId !== undefined ? { patientKey: AuditKeys.byPatient(record.tenant, record.patientId), patientTime: time } : {}),
    clientKey: AuditKeys.byClient(record.tenant, record.actor.clientId),
    clientTime: time,
    dayKey: AuditKeys.byDay(record.tenant, record.at.slice(0, 10)),
    dayTime: time,
  };
}
