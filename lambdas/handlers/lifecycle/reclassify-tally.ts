/** Re-classification step: add a page's counts to the totals (statemachines/reclassify.asl.json). */
import middy from '@middy/core';
import { tally } from '#services/lifecycle/reclassify.ts';

export const handler = middy(tally);
