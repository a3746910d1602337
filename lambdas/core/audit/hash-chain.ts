/**
 * Tamper evidence: each tenant's trail is a few hash chains ("shards", so concurrent Lambdas do
 * not all queue on one head). Record n of a chain carries its sequence number, the SHA-256 of
 * record n-1 and its own SHA-256 over every other field in canonical JSON. Sequence numbers are
 * claimed with a conditional PutItem, so two writers can never both append record n. Altering
 * a record breaks its hash, deleting one leaves a gap, re-sealing one breaks its successor's
 * link (docs/audit.md).
 */
import { createHash } from 'node:crypto';
import type { AuditEntry } from './record.ts';

/**
 * Chains per tenant. Appends to one chain are serial (each names its predecessor), about one per
 * PutItem round trip; eight chains spread a tenant's concurrent writers and its partitions.
 */
export const AUDIT_CHAIN_SHARDS = 8;
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainLink {
  /** 0 … AUDIT_CHAIN_SHARDS-1 */
  readonly shard: number;
  /** 1, 2, 3 … within the shard. */
  readonly seq: number;
  readonly prevHash: string;
}

export type SealedAuditRecord = AuditEntry & ChainLink & { readonly hash: string };

/** JSON with object keys sorted at every depth and undefined members left out: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const members = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
  return `{${members.join(',')}}`;
}

export function recordHash(record: AuditEntry & ChainLink): string {
  const { hash: _ignored, ...content } = record as SealedAuditRecord;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** The record that follows `previous` (or starts the shard) in its chain. */
export function seal(entry: AuditEntry, shard: number, previous: { seq: number; hash: string } | undefined): SealedAuditRecord {
  const linked = { ...entry, shard, seq: (previous?.seq ?? 0) + 1, prevHash: previous?.hash ?? GENESIS_HASH };
  return { ...linked, hash: recordHash(linked) };
}

export interface ChainProblem {
  readonly shard: number;
  readonly seq: number;
  readonly problem: 'altered' | 'broken link' | 'missing records' | 'out of order';
}

/**
 * Checks consecutive records of one shard, in sequence order, continuing from `after` (the last
 * record verified earlier, or undefined at the start of the chain). Returns the problems found
 * and the last record seen, from which the next page continues.
 */
export function verifyChain(
  shard: number,
  records: readonly SealedAuditRecord[],
  after: { seq: number; hash: string } | undefined,
): { problems: ChainProblem[]; last: { seq: number; hash: string } | undefined } {
  const problems: ChainProblem[] = [];
  let previous = after;
  for (const record of records) {
    const expectedSeq = (previous?.seq ?? 0) + 1;
    if (record.seq < expectedSeq) problems.push({ shard, seq: record.seq, problem: 'out of order' });
    else if (record.seq > expectedSeq) problems.push({ shard, seq: expectedSeq, problem: 'missing records' });
    else if (record.prevHash !== (previous?.hash ?? GENESIS_HASH)) problems.push({ shard, seq: record.seq, problem: 'broken link' });
    if (record.shard !== shard || recordHash(record) !== record.hash) problems.push({ shard, seq: record.seq, problem: 'altered' });
    previous = { seq: record.seq, hash: record.hash };
  }
  return { problems, last: previous };
}
