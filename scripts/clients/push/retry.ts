/**
 * HTTP requests that survive what a hospital's link to the cloud does: dropped connections and
 * resets (network errors), 5xx, 429 and 503 with Retry-After. Each attempt waits longer
 * (exponential backoff with full jitter, capped), and a Retry-After the server names is
 * honoured (within the cap). Anything else — 2xx, 4xx — is the answer.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** The first backoff; each later one doubles, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 500, maxDelayMs: 30_000 };

export const isRetryableStatus = (status: number) => status === 429 || status === 500 || status === 502 || status === 503 || status === 504;

/** What the last attempt gave: a response to read, or the network error after the last attempt. */
export type Attempted = { response: Response; attempts: number } | { error: Error; attempts: number };

/**
 * Calls `send` until it answers with something final or the attempts run out. `send` must build
 * a fresh request each time (a streamed body cannot be sent twice). `onRetry` hears each wait.
 */
export async function withRetries(
  send: () => Promise<Response>,
  policy: RetryPolicy,
  onRetry: (why: string, delayMs: number) => void = () => {},
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((done) => setTimeout(done, ms)),
): Promise<Attempted> {
  for (let attempt = 1; ; attempt++) {
    let why: string;
    let retryAfterMs: number | undefined;
    try {
      const response = await send();
      if (!isRetryableStatus(response.status) || attempt >= policy.attempts) return { response, attempts: attempt };
      retryAfterMs = retryAfter(response.headers.get('retry-after'));
      why = `${response.status} ${(await response.text().catch(() => '')).slice(0, 120)}`.trim();
    } catch (error) {
      if (attempt >= policy.attempts) return { error: error as Error, attempts: attempt };
      why = networkErrorText(error);
    }
    const backoff = Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
    const delay = Math.min(policy.maxDelayMs, Math.max(backoff, retryAfterMs ?? 0));
    onRetry(why, delay);
    await sleep(delay);
  }
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 10.2.3), in milliseconds. */
export function retryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** fetch's network errors hide the reason in `cause` (ECONNREFUSED, ECONNRESET…). */
export function networkErrorText(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}
