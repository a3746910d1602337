/**
 * Appends audit entries to their tenant's trail (docs/audit.md, "Tamper evidence"). An adapter,
 * below the middleware that records every request: it owns the chains' concurrency, nothing else.
 *
 * A process keeps the head of each chain it appended to and appends after it with one
 * conditional PutItem, one append per chain at a time; a writer that loses the race for the
 * next sequence number (another Lambda appended first) forgets that head and, after a short
 * random pause that grows with each loss, tries a random shard, reading its current head. Concurrency costs retries, never a fork or
 * a lost record. A put that succeeded but whose answer was lost is retried as a new record: the
 * trail may then hold a request twice (same requestId), never not at all.
 */
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AUDIT_CHAIN_SHARDS, seal } from '#core/audit/hash-chain.ts';
import type { AuditEntry } from '#core/audit/record.ts';
import { AuditUnavailableError } from '#core/audit/errors.ts';
import { appendRecord, chainHead } from './audit-store.ts';

const MAX_ATTEMPTS = 20;
/** The longest pause between attempts (ms): jittered, growing with each loss. */
const MAX_PAUSE_MS = 100;

type Head = { seq: number; hash: string } | undefined;
/** Heads this container appended last, by `<tenant>#<shard>` (an absent chain is a known `undefined`). */
const heads = new Map<string, Head>();
let preferredShard = randomInt(AUDIT_CHAIN_SHARDS);

export async function recordAudit(entries: readonly AuditEntry[]): Promise<void> {
  for (const entry of entries) await append(entry);
}

async function append(entry: AuditEntry): Promise<void> {
  let shard = firstShard(entry.tenant);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await appendToShard(entry, shard)) {
      preferredShard = shard;
      return;
    }
    shard = randomInt(AUDIT_CHAIN_SHARDS);
    await sleep(randomInt(0, Math.min(MAX_PAUSE_MS, 5 * 2 ** attempt)));
  }
  throw new AuditUnavailableError(`the audit trail is busy (${MAX_ATTEMPTS} appends lost to concurrent writers)`, { headers: { 'Retry-After': '1' } });
}

/** The chain appended to last, unless this process is busy appending to it: then an idle one. */
function firstShard(tenant: string): number {
  if (!queues.has(`${tenant}#${preferredShard}`)) return preferredShard;
  const idle = Array.from({ length: AUDIT_CHAIN_SHARDS }, (_, shard) => shard).filter((shard) => !queues.has(`${tenant}#${shard}`));
  return idle.length ? idle[randomInt(idle.length)]! : randomInt(AUDIT_CHAIN_SHARDS);
}

/** One attempt, after this process's earlier appends to the same chain (so they never race each other). */
function appendToShard(entry: AuditEntry, shard: number): Promise<boolean> {
  const key = `${entry.tenant}#${shard}`;
  return serially(key, async () => {
    const head = heads.has(key) ? heads.get(key) : await chainHead(entry.tenant, shard);
    const record = seal(entry, shard, head);
    if (await appendRecord(record)) {
      heads.set(key, { seq: record.seq, hash: record.hash });
      return true;
    }
    heads.delete(key);
    return false;
  });
}

/**
 * Runs `work` after every earlier call with the same key has settled. A Lambda container serves
 * one request at a time, so this only matters where one process serves many (the local runtime).
 */
const queues = new Map<string, Promise<unknown>>();
function serially<T>(key: string, work: () => Promise<T>): Promise<T> {
  const run = (queues.get(key) ?? Promise.resolve()).then(work, work);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}
