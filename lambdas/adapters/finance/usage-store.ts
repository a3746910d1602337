/**
 * Usage counters in the index table (core/finance/usage-keys.ts): the update actions that go
 * into the transaction of each index write that changes what is stored, and the Queries the
 * reports read them with.
 */
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { BALANCE_COUNTERS, COUNTERS, DAILY_COUNTERS, type Counter, type CounterRow, type Counters, type UsageDelta, type UsageTier } from '#core/finance/usage.ts';

export type { CounterRow };
import { BALANCE_PARTITION, shardOf, tenantUsagePartition, UsageKeys, type CounterKey } from '#core/finance/usage-keys.ts';
import { dayOf, monthOf } from '#core/finance/units.ts';
import { config } from '#lambdas/config.ts';
import { queryIndex } from '#adapters/index-query.ts';

type Transact = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** The most actions usageActions gives per distinct tier × modality of its deltas (balance, month, day). */
export const USAGE_ACTIONS_PER_KEY = 3;

/**
 * ADD updates for `deltas` of one study (its shard), merged per item so a transaction touches
 * each counter item once. Items carry their dimensions as attributes for the reader.
 */
export function usageActions(deltas: readonly UsageDelta[], study: string): Transact[] {
  const TableName = config.indexTable();
  const shard = shardOf(study);
  const merged = new Map<string, { key: { pk: string; sk: string }; dims: Record<string, string | number>; sums: Partial<Counters> }>();
  const add = (key: { pk: string; sk: string }, dims: Record<string, string | number>, counters: Partial<Counters>, only: readonly Counter[]) => {
    const id = `${key.pk}|${key.sk}`;
    const entry = merged.get(id) ?? { key, dims, sums: {} };
    for (const name of only) if (counters[name]) entry.sums[name] = (entry.sums[name] ?? 0) + counters[name]!;
    merged.set(id, entry);
  };
  for (const delta of deltas) {
    const k: CounterKey = { tenant: delta.tenant, tier: delta.tier, modality: delta.modality, shard };
    const dims = { tenant: delta.tenant, tier: delta.tier, modality: delta.modality };
    const [month, day] = [monthOf(delta.at), dayOf(delta.at)];
    add(UsageKeys.balance(k), dims, delta.counters, BALANCE_COUNTERS);
    add(UsageKeys.month(k, month), { ...dims, month }, delta.counters, COUNTERS);
    add(UsageKeys.day(k, day), { ...dims, day }, delta.counters, DAILY_COUNTERS);
  }
  const actions: Transact[] = [];
  for (const { key, dims, sums } of merged.values()) {
    const names = Object.keys(sums) as Counter[];
    if (names.length === 0) continue;
    const values: Record<string, unknown> = {};
    const attributeNames: Record<string, string> = {};
    const sets = Object.entries(dims).map(([name, value], i) => {
      attributeNames[`#d${i}`] = name;
      values[`:d${i}`] = value;
      return `#d${i} = :d${i}`;
    });
    const adds = names.map((name, i) => {
      attributeNames[`#c${i}`] = name;
      values[`:c${i}`] = sums[name];
      return `#c${i} :c${i}`;
    });
    actions.push({
      Update: { TableName, Key: key, UpdateExpression: `SET ${sets.join(', ')} ADD ${adds.join(', ')}`, ExpressionAttributeNames: attributeNames, ExpressionAttributeValues: values },
    });
  }
  return actions;
}

const rowOf = (item: Record<string, unknown>): CounterRow => {
  const row = { tenant: String(item.tenant), tier: String(item.tier) as UsageTier, modality: String(item.modality) } as CounterRow;
  if (item.month !== undefined) row.month = String(item.month);
  if (item.day !== undefined) row.day = String(item.day);
  for (const name of COUNTERS) row[name] = Number(item[name] ?? 0);
  return row;
};

async function collect(input: { KeyConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> }): Promise<CounterRow[]> {
  const rows: CounterRow[] = [];
  for await (const item of queryIndex({ ...input, ConsistentRead: true })) rows.push(rowOf(item));
  return rows;
}

/** What is held now, per tenant × tier × modality × shard: of one tenant, or of all (undefined). */
export async function balances(tenant?: string): Promise<CounterRow[]> {
  return tenant === undefined
    ? collect({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': BALANCE_PARTITION } })
    : collect({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :t)', ExpressionAttributeValues: { ':pk': BALANCE_PARTITION, ':t': `${tenant}#` } });
}

/** The month items of a tenant from `from` to `to` (YYYY-MM). */
export async function monthRows(tenant: string, from: string, to: string): Promise<CounterRow[]> {
  const [low, high] = UsageKeys.monthRange(from, to);
  return collect({ KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high', ExpressionAttributeValues: { ':pk': tenantUsagePartition(tenant), ':low': low, ':high': high } });
}

/** The daily history of a tenant from `from` to `to` (YYYY-MM-DD). */
export async function dayRows(tenant: string, from: string, to: string): Promise<CounterRow[]> {
  const [low, high] = UsageKeys.dayRange(from, to);
  return collect({ KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high', ExpressionAttributeValues: { ':pk': tenantUsagePartition(tenant), ':low': low, ':high': high } });
}
