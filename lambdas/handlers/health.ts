/** GET /health: liveness, the versions of the running components, and a probe of each backend. */
import { config } from '#lambdas/config.ts';
import { pingIndex } from '#adapters/index-store.ts';
import { pingArchive } from '#adapters/object-store.ts';
import { httpHandler } from '#middleware/http-handler.ts';

async function probe(check: () => Promise<void>): Promise<{ ok: boolean; ms: number; error?: string }> {
  const started = performance.now();
  try {
    await check();
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, ms: Math.round(performance.now() - started), error: (error as Error).name };
  }
}

export const handler = httpHandler(async () => {
  const [index, archive] = await Promise.all([probe(pingIndex), probe(pingArchive)]);
  const ok = index.ok && archive.ok;
  return {
    statusCode: ok ? 200 : 503,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    body: JSON.stringify({
      status: ok ? 'ok' : 'degraded',
      versions: { strata: config.version, node: process.version, runtime: config.runtime },
      checks: { index, archive },
    }),
  };
});
