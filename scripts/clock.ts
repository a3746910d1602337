/**
 * `npm run clock -- +400d` moves the running local archive's simulated time forward;
 * `npm run clock` prints it. Lifecycle transitions, retention and restores follow this clock.
 * The `/_local/clock` endpoint needs an admin token: this script signs a short-lived one with the
 * local key of the runtime's data directory (STRATA_DATA_DIR, default .strata).
 */
import { resolve } from 'node:path';
import { LocalIdentity } from '#infra/local/local-identity.ts';
import { ADMIN_SCOPE } from '#core/identity/scopes.ts';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run clock [-- +2y | +400d | +5h | +1d12h | 2030-01-01T00:00:00Z]
Shows or advances the simulated clock of the local runtime at STRATA_URL (default http://127.0.0.1:8080)
whose data directory is STRATA_DATA_DIR (default .strata).`);
  process.exit(0);
}
const base = process.env.STRATA_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`;
const spec = args[0];
const body = spec === undefined ? undefined : JSON.stringify(/^\+/.test(spec) ? { advance: spec } : { to: spec });
const identity = await LocalIdentity.open(resolve(process.env.STRATA_DATA_DIR ?? '.strata'));
const token = await identity.issue({ tenant: undefined, scopes: [ADMIN_SCOPE], clientId: 'npm-run-clock', ttlSeconds: 60 });
const response = await fetch(`${base}/_local/clock`, {
  method: body ? 'POST' : 'GET',
  headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
  ...(body ? { body } : {}),
}).catch((error: unknown) => {
  console.error(`cannot reach the local runtime at ${base} (is npm start running?): ${String(error)}`);
  process.exit(1);
});
const state = (await response.json()) as { now?: string; offsetMs?: number; message?: string; lifecycle?: { examined: number; transitioned: number } };
if (!response.ok) {
  console.error(state.message ?? response.statusText);
  process.exit(1);
}
console.log(`simulated now: ${state.now} (real time + ${((state.offsetMs ?? 0) / 86_400_000).toFixed(2)} days)`);
if (state.lifecycle) console.log(`lifecycle: ${state.lifecycle.transitioned} of ${state.lifecycle.examined} objects moved to a colder tier`);
