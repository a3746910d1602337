/**
 * Middy middleware for Step Functions task functions: the task reads its input with references
 * resolved (core/workflows/references.ts) and its result leaves with every value that carries
 * a UID replaced by a reference, so no state of the execution history names a study, series or
 * instance. A task's error leaves the same way: Step Functions keeps its name as the error and
 * its message and stack trace as the cause (Lambda's errorMessage and trace), so every UID in
 * them (and in the errors it was caused by) is replaced by its reference, or, when the tenant is
 * unknown or the reference cannot be recorded, by a mark. Every task function of the
 * declaration uses it (a test checks).
 */
import type middy from '@middy/core';
import { redactIdentifiers } from '#core/workflows/references.ts';
import { resolveReferences, withReferences, withReferencesIn } from '#adapters/workflows/references.ts';

const tenantOf = (value: unknown): string | undefined => {
  const tenant = (value as { tenant?: unknown } | null | undefined)?.tenant;
  return typeof tenant === 'string' ? tenant : undefined;
};

type Clean = (text: string) => Promise<string>;

/** Sets an own property whatever the class declares (a getter, a read-only message), keeping its enumerability. */
const overwrite = (error: Error, property: string, value: unknown) =>
  Object.defineProperty(error, property, { value, writable: true, configurable: true, enumerable: Object.getOwnPropertyDescriptor(error, property)?.enumerable ?? false });

/**
 * The error cleaned in place: its class and name stay (Retry and Catch match the name), its
 * message, stack trace, other text fields (an SDK error's `Key`) and cause chain lose their identifiers.
 */
async function cleanError(error: Error, clean: Clean, depth = 0): Promise<void> {
  overwrite(error, 'message', await clean(String(error.message)));
  if (typeof error.stack === 'string') overwrite(error, 'stack', await clean(error.stack));
  for (const [property, value] of Object.entries(error)) {
    if (property !== 'name' && typeof value === 'string') overwrite(error, property, await clean(value));
  }
  const cause: unknown = error.cause;
  if (cause === undefined) return;
  if (cause instanceof Error && depth < 5) await cleanError(cause, clean, depth + 1);
  else overwrite(error, 'cause', await clean(typeof cause === 'string' ? cause : (JSON.stringify(cause) ?? String(cause))));
}

/** How a failed task's texts lose their UIDs: references for a known tenant, else (or if recording one fails) a mark. */
function cleanerFor(tenant: string | undefined): Clean {
  if (!tenant) return async (text) => redactIdentifiers(text);
  return async (text) => withReferencesIn(tenant, text).catch(() => redactIdentifiers(text));
}

export function workflowTask(): middy.MiddlewareObj<unknown, unknown> {
  return {
    before: async (request) => {
      const tenant = tenantOf(request.event);
      if (tenant) request.event = await resolveReferences(tenant, request.event);
    },
    after: async (request) => {
      // The tenant is never a reference (no UID), so the resolved event still names it.
      const owner = tenantOf(request.response) ?? tenantOf(request.event);
      // References are per tenant: a result without one is written as it is (the scan test would see a UID in it).
      if (owner) request.response = await withReferences(owner, request.response);
    },
    onError: async (request) => {
      // Middy rethrows request.error once the middlewares are done: it leaves cleaned.
      if (request.error instanceof Error) await cleanError(request.error, cleanerFor(tenantOf(request.event)));
    },
  };
}
