import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ObjectStateStore } from '#infra/local/s3/object-state.ts';

const state = (key: string, sha256: string) => ({ bucket: 'b', key, versions: [{ versionId: 'v1', storageClass: 'STANDARD', sha256 }] });
const sha = (s: { versions: { sha256?: string }[] }) => s.versions[0]?.sha256;

describe('ObjectStateStore: bounded memory, nothing forgotten', () => {
  it('holds at most its capacity in memory and reads evicted states back, written or not yet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'object-state-'));
    const store = new ObjectStateStore(dir, 3);
    for (let i = 0; i < 10; i++) store.put(state(`k${i}`, `sha-${i}`));
    expect(store.cachedCount).toBe(3);
    // k0 was evicted at once; its write may still be in flight: the in-flight content answers.
    expect(sha(store.get('b', 'k0'))).toBe('sha-0');
    await store.flush();
    expect(readdirSync(dir).filter((name) => name.endsWith('.json'))).toHaveLength(10);
    for (let i = 0; i < 10; i++) expect(sha(store.get('b', `k${i}`))).toBe(`sha-${i}`);
    expect(store.cachedCount).toBe(3);
  });

  it('keeps the last of several changes to an evicted key, and deletions stay deleted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'object-state-'));
    const store = new ObjectStateStore(dir, 1);
    store.put(state('a', 'first'));
    store.put(state('a', 'second'));
    store.put(state('gone', 'x'));
    store.delete('b', 'gone');
    store.put(state('other', 'y')); // evicts everything else
    expect(sha(store.get('b', 'a'))).toBe('second');
    expect(store.has('b', 'gone')).toBe(false);
    await store.flush();
    const reopened = new ObjectStateStore(dir, 1);
    expect(sha(reopened.get('b', 'a'))).toBe('second');
    expect(reopened.has('b', 'gone')).toBe(false);
    expect(reopened.has('b', 'never')).toBe(false);
  });
});
