/**
 * A deletion batch's transaction (adapters/deletion/deletion-store.ts) within DynamoDB's 100
 * actions: `entryRemovalActions` counts exactly what `deleteInstanceEntries` sends, usage
 * counters included (three per tier × modality, a restored copy a tier of its own), so the
 * deletion step can close a batch before it would pass the limit.
 */
import { describe, expect, it, vi } from 'vitest';

const sent: { TransactItems?: unknown[] }[] = [];
vi.mock('#adapters/aws-clients.ts', () => ({
  documentClient: () => ({
    send: async (command: { input: { TransactItems?: unknown[] } }) => {
      sent.push(command.input);
      return {};
    },
  }),
}));
process.env.TABLE_INDEX = 'index';
const { deleteInstanceEntries, entryRemovalActions, MAX_TRANSACTION_ACTIONS, transactionGroups } = await import('#adapters/deletion/deletion-store.ts');

const TIERS = ['STANDARD', 'INTELLIGENT_TIERING', 'STANDARD_IA', 'ONEZONE_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'];
const AT = '2026-12-02T00:00:00.000Z';
const record = (i: number, modality: string, tier: string, restored = false) =>
  ({
    id: { tenant: 'default', study: '2.25.1', series: '2.25.1.1', sop: `2.25.1.1.${i}` },
    sha256: `${i}`.padStart(64, '0'),
    size: 1000,
    objectKey: `k${i}`,
    storageClass: tier,
    ingestedAt: '2025-01-01T00:00:00.000Z',
    modality,
    sopClassUID: '1.2',
    transferSyntaxUID: '1.2.840.10008.1.2',
    study: {},
    series: {},
    instance: {},
    ...(restored ? { restoredUntil: '2027-01-01T00:00:00.000Z' } : {}),
  }) as never;
const progress = { target: { tenant: 'default', id: 'd', from: undefined }, progress: { after: 'a', kept: 0, countsDrifted: false }, stamp: AT };

describe('A deletion batch and the 100 actions of a transaction', () => {
  it('counts exactly the actions the batch transaction sends', async () => {
    for (const records of [
      [record(1, 'CT', 'STANDARD')],
      Array.from({ length: 30 }, (_, i) => record(i, i % 2 ? 'OT' : 'SC', TIERS[i % 4]!)),
      Array.from({ length: 20 }, (_, i) => record(i, 'CT', TIERS[i % 7]!, i === 5)),
    ]) {
      await deleteInstanceEntries(records, AT, progress, async () => {});
      expect(sent.at(-1)!.TransactItems).toHaveLength(entryRemovalActions(records, AT));
    }
  });

  it('says when 75 instances of a series spread over tiers and modalities would pass the limit', () => {
    const mixed = Array.from({ length: 75 }, (_, i) => record(i, i % 2 ? 'OT' : 'SC', TIERS[Math.floor(i / 2) % 4]!));
    const everyTier = Array.from({ length: 75 }, (_, i) => record(i, 'CT', TIERS[i % 7]!, i === 5));
    expect(entryRemovalActions(mixed, AT)).toBeGreaterThan(MAX_TRANSACTION_ACTIONS);
    expect(entryRemovalActions(everyTier, AT)).toBeGreaterThan(MAX_TRANSACTION_ACTIONS);
    // One tier, one modality: the whole batch fits.
    expect(entryRemovalActions(Array.from({ length: 75 }, (_, i) => record(i, 'CT', 'STANDARD')), AT)).toBeLessThanOrEqual(MAX_TRANSACTION_ACTIONS);
  });

  it('cuts a push\'s withdrawal of a whole series into transactions DynamoDB takes, in order, none empty', async () => {
    for (const records of [
      Array.from({ length: 200 }, (_, i) => record(i, i % 2 ? 'OT' : 'SC', TIERS[Math.floor(i / 2) % 4]!)),
      Array.from({ length: 151 }, (_, i) => record(i, 'CT', 'STANDARD')),
      [record(1, 'CT', 'STANDARD')],
    ]) {
      const groups = transactionGroups(records, AT);
      expect(groups.flat()).toEqual(records);
      expect(groups.length).toBeGreaterThanOrEqual(Math.ceil(records.length / 75));
      for (const group of groups) {
        expect(group.length).toBeGreaterThan(0);
        await deleteInstanceEntries(group, AT, undefined, async () => {}, { sameIngest: true });
        expect(sent.at(-1)!.TransactItems!.length).toBeLessThanOrEqual(MAX_TRANSACTION_ACTIONS);
      }
    }
    expect(transactionGroups([], AT)).toEqual([]);
  });

  it('removes an entry for a push only while it is the one that push wrote: its hash and its ingest time', async () => {
    await deleteInstanceEntries([record(1, 'CT', 'STANDARD')], AT, undefined, async () => {}, { sameIngest: true });
    const deletes = (sent.at(-1)!.TransactItems as { Delete?: { ConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> } }[]).filter((item) => item.Delete);
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.Delete!.ConditionExpression).toBe('sha256 = :sha AND ingestedAt = :at AND attribute_not_exists(holds)');
    expect(deletes[0]!.Delete!.ExpressionAttributeValues).toEqual({ ':sha': '1'.padStart(64, '0'), ':at': '2025-01-01T00:00:00.000Z' });
    // A deletion removes the entry whatever push wrote it: its bytes are what it deleted.
    await deleteInstanceEntries([record(1, 'CT', 'STANDARD')], AT, progress, async () => {});
    const deletion = (sent.at(-1)!.TransactItems as { Delete?: { ConditionExpression: string } }[]).find((item) => item.Delete);
    expect(deletion!.Delete!.ConditionExpression).toBe('sha256 = :sha AND attribute_not_exists(holds)');
  });
});
