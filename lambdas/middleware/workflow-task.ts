/**
 * Middy middleware for Step Functions task functions: the task reads its input with references
 * resolved (core/workflows/references.ts) and its result leaves with every value that carries
 * a UID replaced by a reference, so no state of the execution history names a study, series or
 * instance. Every task function of the declaration uses it (a test checks).
 */
import type middy from '@middy/core';
import { resolveReferences, withReferences } from '#adapters/workflows/references.ts';

const tenantOf = (value: unknown): string | undefined => {
  const tenant = (value as { tenant?: unknown } | null | undefined)?.tenant;
  return typeof tenant === 'string' ? tenant : undefined;
};

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
  };
}
