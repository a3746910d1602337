/** Export workflow step: after a copy round, how many instances still wait for a restore. */
import middy from '@middy/core';
import { tallyExport } from '#services/exports/tally-export.ts';

export const handler = middy(async (input: { tenant: string; exportId: string; results: { waiting: number }[] }) => tallyExport(input.tenant, input.exportId, input.results));
