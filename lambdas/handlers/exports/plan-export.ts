/** Export workflow step: count what is in scope; the studies for the copy Map. */
import middy from '@middy/core';
import { planExport } from '#services/exports/plan-export.ts';

export const handler = middy(async (input: { tenant: string; exportId: string }) => planExport(input.tenant, input.exportId));
