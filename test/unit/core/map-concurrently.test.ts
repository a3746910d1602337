import { describe, expect, it } from 'vitest';
import { mapConcurrently } from '#core/map-concurrently.ts';

describe('mapConcurrently', () => {
  it('keeps the items’ order whatever order the calls finish in, with never more than the limit in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const delays = [30, 5, 20, 1, 15, 2, 9];
    const results = await mapConcurrently(delays, 3, async (delay, index) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, delay));
      inFlight--;
      return `${index}:${delay}`;
    });
    expect(results).toEqual(delays.map((delay, index) => `${index}:${delay}`));
    expect(most).toBe(3);
  });

  it('answers an empty list with an empty list, and passes a failure on', async () => {
    expect(await mapConcurrently([], 4, async () => 1)).toEqual([]);
    await expect(mapConcurrently([1, 2], 2, async (n) => (n === 2 ? Promise.reject(new Error('two')) : n))).rejects.toThrow('two');
  });
});
