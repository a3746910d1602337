import { describe, expect, it } from 'vitest';
import { retryAfter, withRetries } from '#clients/push/retry.ts';

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 5_000 };

describe('withRetries', () => {
  it('retries network errors and 5xx, honours Retry-After, and returns the first final answer', async () => {
    const answers: (() => Response)[] = [
      () => {
        throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
      },
      () => new Response('busy', { status: 503, headers: { 'Retry-After': '3' } }),
      () => new Response('{}', { status: 200 }),
    ];
    const waits: number[] = [];
    const whys: string[] = [];
    const result = await withRetries(async () => answers.shift()!(), policy, (why) => whys.push(why), async (ms) => void waits.push(ms));
    expect('response' in result && result.response.status).toBe(200);
    expect(result.attempts).toBe(3);
    expect(whys).toEqual(['ECONNRESET', '503 busy']);
    expect(waits[0]).toBeLessThanOrEqual(100); // full jitter under the first backoff
    expect(waits[1]).toBe(3000); // Retry-After wins over a shorter backoff
  });

  it('does not retry a 4xx, and gives up after the last attempt with what it got', async () => {
    let calls = 0;
    const refused = await withRetries(async () => (calls++, new Response('no', { status: 401 })), policy, undefined, async () => {});
    expect(calls).toBe(1);
    expect('response' in refused && refused.response.status).toBe(401);
    const down = await withRetries(async () => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })), policy, undefined, async () => {});
    expect(down.attempts).toBe(4);
    expect('error' in down).toBe(true);
    const busy = await withRetries(async () => new Response('', { status: 503 }), policy, undefined, async () => {});
    expect(busy.attempts).toBe(4);
    expect('response' in busy && busy.response.status).toBe(503);
  });

  it('caps the wait, whatever Retry-After asks', async () => {
    const waits: number[] = [];
    await withRetries(async () => new Response('', { status: 429, headers: { 'Retry-After': '86400' } }), { ...policy, attempts: 2 }, undefined, async (ms) => void waits.push(ms));
    expect(waits).toEqual([5_000]);
  });
});

describe('retryAfter', () => {
  it('reads delay-seconds and HTTP-dates', () => {
    expect(retryAfter('7')).toBe(7000);
    expect(retryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(retryAfter('soon')).toBeUndefined();
    expect(retryAfter(null)).toBeUndefined();
  });
});
