/** Liveness and a probe of each backend (index, archive), with the versions of what runs. */
import { config } from '#lambdas/config.ts';
import { pingIndex } from '#adapters/index-store.ts';
import { pingArchive } from '#adapters/object-store.ts';

export interface Probe {
  ok: boolean;
  ms: number;
  error?: string;
}

async function probe(check: () => Promise<void>): Promise<Probe> {
  const started = performance.now();
  try {
    await check();
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, ms: Math.round(performance.now() - started), error: (error as Error).name };
  }
}

export async function checkHealth() {
  const [index, archive] = await Promise.all([probe(pingIndex), probe(pingArchive)]);
  const ok = index.ok && archive.ok;
  return {
    ok,
    status: ok ? ('ok' as const) : ('degraded' as const),
    versions: { strata: config.version, node: process.version, runtime: config.runtime },
    checks: { index, archive },
  };
}
