/**
 * Each local function's own AWS identity. In AWS every function runs with its role's
 * credentials; locally all functions share one process, one environment and one set of SDK
 * clients, so the Lambda host runs each invocation in an async context naming the function,
 * and every HTTP request made inside it is stamped with that function's access key id (the
 * `Credential=` of its SigV4 Authorization header). SigV4 signs with the secret and the scope,
 * not with the key id, so the signature stays valid; the local endpoints map the key id back to
 * the function (principals.ts) and check its grants (policy.ts).
 *
 * Requests made outside any invocation (tests, scripts, the runtime itself) keep the process's
 * own key, which the endpoints treat as unrestricted.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { accessKeyIdOf } from './principals.ts';

const current = new AsyncLocalStorage<string>();

/** Runs `work` (one invocation) as function `name`: its SDK calls carry the function's key id. */
export function runAsFunction<T>(name: string, work: () => T): T {
  return current.run(name, work);
}

/** The function whose invocation is running here, if any. */
export const currentFunction = (): string | undefined => current.getStore();

function stamp({ request }: { request: ClientRequest }): void {
  const name = current.getStore();
  if (!name) return;
  const authorization = request.getHeader('authorization');
  if (typeof authorization !== 'string') return;
  request.setHeader('authorization', authorization.replace(/Credential=[^/,\s]+\//, `Credential=${accessKeyIdOf(name)}/`));
}

// `http.client.request.created` is published before the headers are sent (Node ≥ 22.12).
subscribe('http.client.request.created', stamp as (message: unknown) => void);
