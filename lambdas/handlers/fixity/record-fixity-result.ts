/** Fixity audit, step 3: summarise the series results and keep the audit record on the study. */
import middy from '@middy/core';
import { summariseFixity, type SeriesFixity } from '#core/fixity.ts';
import { clock } from '#adapters/clock.ts';
import { putFixityRecord } from '#adapters/study-store.ts';

interface Input {
  tenant: string;
  study: string;
  results: SeriesFixity[];
}

export const handler = middy(async (input: Input) => {
  const summary = summariseFixity(input.results);
  const auditedAt = clock.now().toISOString();
  await putFixityRecord({ tenant: input.tenant, study: input.study, auditedAt, ...summary });
  return { tenant: input.tenant, study: input.study, auditedAt, ...summary };
});
