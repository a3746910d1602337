/** Fixity audit, step 3: summarise the series results and keep the audit record on the study. */
import middy from '@middy/core';
import type { SeriesFixity } from '#core/fixity/series-fixity.ts';
import { recordFixityResult } from '#services/fixity/fixity-audits.ts';
import { workflowTask } from '#middleware/workflow-task.ts';

export const handler = middy(async (input: { tenant: string; study: string; results: SeriesFixity[] }) => recordFixityResult(input.tenant, input.study, input.results)).use(workflowTask());
