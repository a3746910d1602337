/**
 * Boots the local runtime for an integration test: random ports, a fresh data directory, no
 * retry waits — and credentials. While a test runtime runs, every `fetch` to its URL that sets
 * no Authorization header carries a token of the test client (tenant `default`, every declared
 * scope), as a configured DICOMweb client would; tests of authentication send their own header
 * or use `fetchWithoutToken`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalIdentity, TokenRequest } from '#infra/local/local-identity.ts';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '#infra/local/runtime.ts';
import { system } from '#infra/system.ts';

/** The tenant of the test client: the keys tests inspect start with it. */
export const TEST_TENANT = 'default';
/** `fetch` as the process had it: no token added. */
export const fetchWithoutToken: typeof fetch = globalThis.fetch;

export interface TestRuntime extends LocalRuntime {
  /** The token every un-authorized fetch to this runtime carries. */
  readonly testToken: string;
  /** A token from this runtime's local identity (for other tenants, scopes, lifetimes). */
  token(request: TokenRequest): Promise<string>;
  /** `Authorization` header for a token of `tenant` with `scopes` (default: every declared scope). */
  authorization(tenant: string, scopes?: readonly string[]): Promise<{ Authorization: string }>;
  /** Stops the runtime and deletes its data. */
  dispose(): Promise<void>;
  /** Stops and starts again on the same data directory and ports. */
  restart(): Promise<TestRuntime>;
}

export async function startTestRuntime(options: LocalRuntimeOptions = {}): Promise<TestRuntime> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'strata-test-'));
  // A restart listens again on the same ports. Ports the kernel hands out to outgoing connections
  // (32768–60999) may be taken by one of them meanwhile, so the runtime's own come from below that range.
  const log = process.env.STRATA_TEST_VERBOSE ? (message: string) => console.error(message) : () => {};
  // A port found free can be taken by another test file's runtime before this one listens on it
  // (the files run in parallel): ports this helper picked are picked again, a few times.
  const chosen = options.port === undefined && options.servicePorts === undefined;
  let runtime: Awaited<ReturnType<typeof startLocalRuntime>> | undefined;
  for (let attempt = 1; !runtime; attempt++) {
    const picked = { port: await portBelowEphemeralRange(), servicePorts: await servicePortsBelowEphemeralRange(), ...options };
    try {
      runtime = await startLocalRuntime({ retryIntervalMs: 0, log, ...picked, dataDir });
      options = picked;
    } catch (error) {
      if (!chosen || attempt >= 5 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  const port = Number(new URL(runtime.url).port);
  const token = (request: TokenRequest) => runtime.identity.issue({ ttlSeconds: TEST_TOKEN_SECONDS, ...request });
  const testToken = await authorizeFetchesTo([runtime.url, runtime.dataPlaneUrl], runtime.identity);
  return Object.assign(runtime, {
    testToken,
    token,
    async authorization(tenant: string, scopes: readonly string[] = system.api.scopes) {
      return { Authorization: `Bearer ${await token({ tenant, scopes })}` };
    },
    async dispose() {
      await runtime.stop();
      globalThis.fetch = fetchWithoutToken;
      rmSync(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await runtime.stop();
      return startTestRuntime({ ...options, dataDir, port, servicePorts: runtime.servicePorts });
    },
  });
}

const TEST_TOKEN_SECONDS = 6 * 3600;

/**
 * A port below Linux's ephemeral range (20000–32767 unless told) that is free now: a runtime
 * restarted on it cannot find it taken by another test's outgoing connection. A test that
 * restarts a runtime on one port takes it from a range of its own, so no other test's runtime
 * picks it while it is down.
 */
export async function portBelowEphemeralRange(range: { from: number; to: number } = { from: 20_000, to: 32_767 }): Promise<number> {
  for (;;) {
    const port = range.from + Math.floor(Math.random() * (range.to - range.from + 1));
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

async function servicePortsBelowEphemeralRange() {
  return {
    dynamodb: await portBelowEphemeralRange(),
    s3: await portBelowEphemeralRange(),
    stepFunctions: await portBelowEphemeralRange(),
    events: await portBelowEphemeralRange(),
    kms: await portBelowEphemeralRange(),
  };
}

/**
 * Makes every `fetch` to one of `origins` without an Authorization header carry a token: the given one, or
 * the test client's signed by `identity` (the runtime's local key); returns it.
 * `globalThis.fetch = fetchWithoutToken` undoes it.
 */
export async function authorizeFetchesTo(origins: string | readonly string[], identity: LocalIdentity | string): Promise<string> {
  const token =
    typeof identity === 'string'
      ? identity
      : await identity.issue({ tenant: TEST_TENANT, scopes: system.api.scopes, clientId: 'strata-tests', ttlSeconds: TEST_TOKEN_SECONDS });
  globalThis.fetch = withToken(typeof origins === 'string' ? [origins] : origins, token, globalThis.fetch);
  return token;
}

/**
 * `fetch` that adds `Bearer <token>` to requests for those origins that have no Authorization header;
 * other requests go to `otherwise` (the tokens given earlier for other origins: a benchmark against two
 * archives holds one for each).
 */
function withToken(origins: readonly string[], token: string, otherwise: typeof fetch): typeof fetch {
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    // By origin, not by prefix: http://127.0.0.1:2000 must not also match port 20001.
    if (!origins.some((origin) => new URL(origin).origin === new URL(url).origin)) return otherwise(input, init);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (!headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
    return fetchWithoutToken(input, { ...init, headers });
  };
}
