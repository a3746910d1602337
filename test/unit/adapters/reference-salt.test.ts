/**
 * A tenant's salt for workflow references and execution names (adapters/workflows/references.ts)
 * after the index is rebuilt from the bucket: the rebuilt index has no salt and the next writer
 * makes a new one. A warm container that kept the old salt must come to the new one within
 * SALT_CACHE_MS, or it would name a study's idempotent executions apart from every other
 * container for as long as it lives. The index is a map behind the real command objects.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { opaqueName } from '#core/workflows/references.ts';
import { installClock } from '#adapters/clock.ts';

const items = new Map<string, Record<string, unknown>>();
const keyOf = (key: { pk: string; sk: string }) => `${key.pk}|${key.sk}`;
vi.mock('#adapters/aws-clients.ts', () => ({
  documentClient: () => ({
    send: async (command: { constructor: { name: string }; input: { Key?: { pk: string; sk: string }; Item?: { pk: string; sk: string }; ConditionExpression?: string } }) => {
      const { input } = command;
      if (command.constructor.name === 'GetCommand') return { Item: items.get(keyOf(input.Key!)) };
      if (command.constructor.name === 'PutCommand') {
        if (input.ConditionExpression === 'attribute_not_exists(pk)' && items.has(keyOf(input.Item!))) throw new Error('unexpected: the salt exists');
        items.set(keyOf(input.Item!), input.Item!);
        return {};
      }
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  }),
}));
process.env.TABLE_INDEX = 'index';
const { opaqueNameOf, SALT_CACHE_MS } = await import('#adapters/workflows/references.ts');
const { Keys } = await import('#core/index-keys.ts');

let now = Date.parse('2026-12-02T10:00:00Z');
installClock({ now: () => new Date(now) });
afterAll(() => installClock());

const saltItem = () => items.get(keyOf(Keys.referenceSalt('t1')))!.salt as string;

describe('the salt a warm container keeps', () => {
  it('is read again after SALT_CACHE_MS, so a salt made after an index rebuild reaches every container', async () => {
    const before = await opaqueNameOf('t1', 't1/2.25.7');
    expect(before).toBe(opaqueName(saltItem(), 't1/2.25.7'));
    // The index is lost and rebuilt; another container makes the tenant's new salt.
    items.clear();
    items.set(keyOf(Keys.referenceSalt('t1')), { ...Keys.referenceSalt('t1'), salt: 'the-new-salt' });
    now += SALT_CACHE_MS - 1;
    expect(await opaqueNameOf('t1', 't1/2.25.7')).toBe(before);
    now += 1;
    const after = await opaqueNameOf('t1', 't1/2.25.7');
    expect(after).toBe(opaqueName('the-new-salt', 't1/2.25.7'));
    expect(after).not.toBe(before);
  });

  it('is never made anew while the index still holds one: the re-read finds the same salt', async () => {
    const salt = saltItem();
    now += SALT_CACHE_MS;
    await opaqueNameOf('t1', 't1/2.25.8');
    expect(saltItem()).toBe(salt);
  });
});
