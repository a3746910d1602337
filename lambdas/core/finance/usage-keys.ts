/**
 * The keys of the usage counters in the index table (docs/finance.md). Three item kinds, each
 * read by Query on its partition, never by scan:
 * - balance, all tenants in one partition (`OPEX#BALANCE`), so an administrator's report
 *   finds the tenants with one Query: bytes, objects and billable bytes held now;
 * - month, per tenant (`OPEX#T#<tenant>`, sk `M#<YYYY-MM>#…`): every counter's change in that month;
 * - day, per tenant (sk `D#<YYYY-MM-DD>#…`): the daily history (bytes, objects, ingested, deleted).
 * Each key ends with a shard (of the study), so concurrent STOW transactions of one tenant and
 * modality rarely contend for one counter item; readers add the shards up.
 */
import type { UsageTier } from './usage.ts';

export const USAGE_SHARDS = 8;
export const BALANCE_PARTITION = 'OPEX#BALANCE';
export const tenantUsagePartition = (tenant: string) => `OPEX#T#${tenant}`;

/** A stable shard of a string (FNV-1a), so one study's changes always land on the same items. */
export function shardOf(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % USAGE_SHARDS;
}

export interface CounterKey {
  tenant: string;
  tier: UsageTier;
  modality: string;
  shard: number;
}

const tail = (k: CounterKey) => `${k.tier}#${k.modality}#${k.shard}`;

export const UsageKeys = {
  balance: (k: CounterKey) => ({ pk: BALANCE_PARTITION, sk: `${k.tenant}#${tail(k)}` }),
  month: (k: CounterKey, month: string) => ({ pk: tenantUsagePartition(k.tenant), sk: `M#${month}#${tail(k)}` }),
  day: (k: CounterKey, day: string) => ({ pk: tenantUsagePartition(k.tenant), sk: `D#${day}#${tail(k)}` }),
  /** Month items from `from` to `to` (YYYY-MM, both included): sk BETWEEN these. */
  monthRange: (from: string, to: string) => [`M#${from}`, `M#${to}#\uffff`] as const,
  dayRange: (from: string, to: string) => [`D#${from}`, `D#${to}#\uffff`] as const,
};
