import { describe, expect, it } from 'vitest';
import { GroupSync } from '#infra/local/group-sync.ts';

/** A sync whose runs finish when the test says so, numbered in the order they start. */
function controlledSync() {
  const runs: { finish: () => void; fail: (error: Error) => void }[] = [];
  const sync = new GroupSync(
    () =>
      new Promise<void>((resolve, reject) => {
        runs.push({ finish: resolve, fail: reject });
      }),
  );
  return { sync, runs };
}

const settled = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('GroupSync (shared fsyncs)', () => {
  it('serves a request made during a sync by a later sync, shared by every request made meanwhile', async () => {
    const { sync, runs } = controlledSync();
    let firstDone = false;
    let laterDone = 0;
    void sync.request().then(() => (firstDone = true));
    // Made while the first sync runs: that sync may have started before their writes.
    void sync.request().then(() => laterDone++);
    void sync.request().then(() => laterDone++);
    await settled();
    expect(runs).toHaveLength(1);
    runs[0]!.finish();
    await settled();
    expect(firstDone).toBe(true);
    expect(laterDone).toBe(0);
    expect(runs).toHaveLength(2); // one more sync for both later requests
    runs[1]!.finish();
    await settled();
    expect(laterDone).toBe(2);
  });

  it('passes a failed sync to its requests, and the next request syncs again', async () => {
    const { sync, runs } = controlledSync();
    const first = sync.request();
    runs[0]!.fail(new Error('EIO'));
    await expect(first).rejects.toThrow('EIO');
    const second = sync.request();
    await settled();
    expect(runs).toHaveLength(2);
    runs[1]!.finish();
    await expect(second).resolves.toBeUndefined();
  });
});
