/** Fixity audit, step 1: the series of the study (statemachines/fixity-audit.asl.json). */
import middy from '@middy/core';
import { listSeriesUids } from '#adapters/study-store.ts';

interface Input {
  tenant: string;
  study: string;
}

export const handler = middy(async (input: Input) => {
  const series = await listSeriesUids(input.tenant, input.study);
  return { tenant: input.tenant, study: input.study, series, seriesCount: series.length };
});
